PREFIXES = {"DE": "49", "FR": "33", "GB": "44"}


def to_e164(number: str, country: str) -> str:
    """A national phone number in international E.164 form: "+4930123456"."""
    digits = "".join(c for c in number if c.isdigit()).lstrip("0")
    return "+" + PREFIXES[country] + digits
