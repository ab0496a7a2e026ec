VAT_RATE = 0.2


def add_vat(net: float, rate: float = VAT_RATE) -> float:
    """The gross amount: ``net`` plus value-added tax, rounded to cents."""
    return round(net * (1 + rate), 2)
