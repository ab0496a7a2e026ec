from invoices.money import format_money


def total_line(total_cents: int) -> str:
    """The last line of a euro invoice."""
    label = format_money(total_cents, "EUR")
    return "Total: " + label
