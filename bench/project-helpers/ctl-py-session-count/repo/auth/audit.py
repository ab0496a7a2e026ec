EVENTS: list[tuple[str, str]] = []


def record_login(user: str) -> None:
    """Append a login event for ``user`` to the audit trail."""
    EVENTS.append(("login", user))
