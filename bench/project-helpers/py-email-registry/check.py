from accounts.registry import register
assert register({}, "ada", "  Ada+news@Example.ORG ") == {"ada": "ada@example.org"}
