from auth.session import SESSIONS, active_sessions
SESSIONS.update({"a", "b"})
assert active_sessions() == 2
