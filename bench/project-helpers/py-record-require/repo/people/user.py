from storage.record import Record


class User(Record):
    def display_name(self) -> str:
        """First and last name, as shown on the profile page."""
        first = self.require_field("first_name")
        last = self.fields.get("last_name", "").strip()
        return f"{first} {last}".strip()
