from auth.crypto import hash_password


def create_user(name: str, password: str, salt: str) -> dict[str, str]:
    """A new account; the password is stored hashed."""
    user = {"name": name, "salt": salt}
    user["password"] = hash_password(password, salt)
    return user
