from auth.audit import EVENTS
from auth.session import log_in
log_in("ada")
assert EVENTS == [("login", "ada")], EVENTS
