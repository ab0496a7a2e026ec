from metrics.smooth import smoothed
assert smoothed([3, 6, 9, 12]) == [6.0, 9.0]
