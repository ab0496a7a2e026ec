from warehouse.picking import hold_for_order
from warehouse.stock import Inventory, OutOfStock
inv = Inventory()
inv.receive("X", 3)
hold_for_order(inv, "X", 2)
assert inv.reserved == {"X": 2}
try:
    hold_for_order(inv, "X", 2)
except OutOfStock:
    pass
else:
    raise AssertionError("only one unit was free")
