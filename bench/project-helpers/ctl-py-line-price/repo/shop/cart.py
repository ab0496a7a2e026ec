from billing.tax import add_vat


def line_price(price: float, quantity: int) -> float:
    """The price of one cart line before tax."""
    return price * quantity
