SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def format_money(cents: int, currency: str) -> str:
    """An amount in cents as shown to customers: "€12.50"."""
    return f"{SYMBOLS[currency]}{cents // 100}.{cents % 100:02d}"
