from units.temperature import celsius_to_fahrenheit


def is_freezing(celsius: float) -> bool:
    """Whether water freezes at this temperature."""
    return celsius <= 0
