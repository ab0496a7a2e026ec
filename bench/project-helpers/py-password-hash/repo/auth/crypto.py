import hashlib


def hash_password(password: str, salt: str) -> str:
    """A salted SHA-256 hex digest of a password, never the password itself."""
    return hashlib.sha256((salt + password).encode()).hexdigest()
