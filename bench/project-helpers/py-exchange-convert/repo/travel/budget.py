from travel.currency import ExchangeRates


def in_euros(rates: ExchangeRates, amount: float) -> float:
    """A price seen in US dollars, in euros."""
    return rates.convert(amount, "USD", "EUR")
