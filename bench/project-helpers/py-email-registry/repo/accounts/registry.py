from accounts.emails import normalise_email_address


def register(users: dict[str, str], name: str, email: str) -> dict[str, str]:
    """Remember a user's email address."""
    users[name] = normalise_email_address(email)
    return users
