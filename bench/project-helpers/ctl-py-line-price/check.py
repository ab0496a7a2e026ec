from shop.cart import line_price
assert line_price(2.5, 4) == 10.0
