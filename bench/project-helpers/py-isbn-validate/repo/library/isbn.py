def is_valid_isbn(code: str) -> bool:
    """Whether ``code`` is an ISBN-13 with a correct check digit (hyphens allowed)."""
    digits = [int(c) for c in code if c.isdigit()]
    if len(digits) != 13:
        return False
    return sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
