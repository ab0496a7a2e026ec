from delivery.zones import in_range
assert in_range((52.52, 13.40), (52.50, 13.45), 5)
assert not in_range((52.52, 13.40), (52.52, 13.50), 5)
