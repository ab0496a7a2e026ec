from fulfilment.dispatch import hand_over
from orders.model import Order
order = hand_over(Order("A1"), "DHL")
assert order.status == "shipped" and order.carrier == "DHL" and order.shipped_on
