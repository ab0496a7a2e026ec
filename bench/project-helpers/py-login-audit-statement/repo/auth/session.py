from auth.audit import record_login

SESSIONS: set[str] = set()


def log_in(user: str) -> str:
    """Open a session for ``user``; every login is audited."""
    SESSIONS.add(user)
    record_login(user)
    return user
