from weather.report import is_freezing
assert is_freezing(-1) and is_freezing(0) and not is_freezing(5)
