import hashlib
from auth.signup import create_user
user = create_user("ada", "s3cret", "xy")
assert user["password"] == hashlib.sha256(b"xys3cret").hexdigest()
