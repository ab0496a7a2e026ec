from members.mailer import send_welcome_email

MEMBERS: list[dict[str, str]] = []


def join(member: dict[str, str]) -> dict[str, str]:
    """Add a member and greet them by email."""
    MEMBERS.append(member)
    send_welcome_email(member)
    return member
