from accounts.emails import normalise_email_address


def user_count(users: dict[str, str]) -> int:
    """How many users are registered."""
    return len(users)
