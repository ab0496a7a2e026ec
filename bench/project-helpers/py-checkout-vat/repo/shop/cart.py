from billing.tax import add_vat


def checkout_total(items: list[dict[str, float]]) -> float:
    """What the customer pays for the items in the cart, tax included."""
    subtotal = sum(item["price"] * item["qty"] for item in items)
    return add_vat(subtotal)
