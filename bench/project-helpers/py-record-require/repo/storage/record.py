class MissingField(LookupError):
    """A record lacks a field it must have."""


class Record:
    def __init__(self, **fields: str) -> None:
        self.fields = fields

    def require_field(self, name: str) -> str:
        """The field's value, trimmed; MissingField when it is absent or blank."""
        value = self.fields.get(name, "").strip()
        if not value:
            raise MissingField(name)
        return value
