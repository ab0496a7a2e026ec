from accounts.registry import user_count
assert user_count({"a": "a@b.c", "b": "b@b.c"}) == 2
