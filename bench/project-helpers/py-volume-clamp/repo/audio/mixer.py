from .numbers import clamp


def set_volume(level: int) -> int:
    """The volume to apply: between 0 and 100 whatever was asked."""
    return clamp(level, 0, 100)
