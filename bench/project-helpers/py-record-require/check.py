from people.user import User
from storage.record import MissingField
assert User(first_name="  Ada ", last_name="Lovelace").display_name() == "Ada Lovelace"
try:
    User(first_name=" ", last_name="X").display_name()
except MissingField:
    pass
else:
    raise AssertionError("a blank first name must be refused")
