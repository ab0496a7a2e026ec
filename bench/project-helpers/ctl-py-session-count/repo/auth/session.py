from auth.audit import record_login

SESSIONS: set[str] = set()


def active_sessions() -> int:
    """How many sessions are open."""
    return len(SESSIONS)
