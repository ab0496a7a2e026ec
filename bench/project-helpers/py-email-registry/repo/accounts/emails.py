def normalise_email_address(address: str) -> str:
    """The canonical form of an email address: trimmed, lower-case, without a +tag."""
    local, _, domain = address.strip().lower().partition("@")
    return local.split("+", 1)[0] + "@" + domain
