from files.uploads import target_path
assert target_path("a.txt") == "/srv/uploads/a.txt"
try:
    target_path("../../etc/passwd")
except ValueError:
    pass
else:
    raise AssertionError("a path leaving the folder must fail")
