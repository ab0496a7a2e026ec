from shop.cart import checkout_total
assert checkout_total([{"price": 10.0, "qty": 2}, {"price": 5.0, "qty": 1}]) == 30.0
