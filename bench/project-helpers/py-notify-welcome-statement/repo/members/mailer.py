OUTBOX: list[tuple[str, str]] = []


def send_welcome_email(member: dict[str, str]) -> None:
    """Queue the welcome message for a new member."""
    OUTBOX.append((member["email"], "Welcome aboard!"))
