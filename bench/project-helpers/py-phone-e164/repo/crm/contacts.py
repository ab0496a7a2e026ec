from crm.phones import to_e164


def german_contact(name: str, phone: str) -> dict[str, str]:
    """A contact from the German sign-up form; phones are stored in E.164."""
    contact = {"name": name}
    contact["phone"] = to_e164(phone, "DE")
    return contact
