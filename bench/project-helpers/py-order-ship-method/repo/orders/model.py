import datetime


class Order:
    def __init__(self, number: str) -> None:
        self.number = number
        self.status = "new"
        self.carrier = ""
        self.shipped_on: datetime.date | None = None

    def mark_paid(self) -> None:
        """Record that the customer paid."""
        self.status = "paid"

    def mark_shipped(self, carrier: str) -> None:
        """Record that the order left the warehouse with ``carrier`` today."""
        self.status = "shipped"
        self.carrier = carrier
        self.shipped_on = datetime.date.today()
