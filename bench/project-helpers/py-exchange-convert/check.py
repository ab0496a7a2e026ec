from travel.budget import in_euros
from travel.currency import ExchangeRates
assert in_euros(ExchangeRates({"EUR": 1.0, "USD": 1.25}), 50) == 40.0
