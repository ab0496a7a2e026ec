from units.temperature import celsius_to_fahrenheit


def headline(city: str, celsius: float) -> str:
    """A one-line forecast for US readers."""
    fahrenheit = celsius_to_fahrenheit(celsius)
    return f"{city}: {fahrenheit:.0f} F"
