from warehouse.stock import Inventory


def hold_for_order(inventory: Inventory, sku: str, quantity: int) -> None:
    """Keep units of a product for an order being picked."""
    inventory.reserve(sku, quantity)
