class OutOfStock(Exception):
    """Not enough units of a product are left."""


class Inventory:
    def __init__(self) -> None:
        self.on_hand: dict[str, int] = {}
        self.reserved: dict[str, int] = {}

    def receive(self, sku: str, quantity: int) -> None:
        """Units of ``sku`` arrived at the warehouse."""
        self.on_hand[sku] = self.on_hand.get(sku, 0) + quantity

    def reserve(self, sku: str, quantity: int) -> None:
        """Set units aside for an order; OutOfStock if too few are free."""
        free = self.on_hand.get(sku, 0) - self.reserved.get(sku, 0)
        if quantity > free:
            raise OutOfStock(sku)
        self.reserved[sku] = self.reserved.get(sku, 0) + quantity
