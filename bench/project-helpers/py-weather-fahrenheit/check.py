from weather.report import headline
assert headline("Oslo", 20) == "Oslo: 68 F", headline("Oslo", 20)
