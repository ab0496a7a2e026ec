class ExchangeRates:
    def __init__(self, per_euro: dict[str, float]) -> None:
        self.per_euro = per_euro

    def convert(self, amount: float, source: str, target: str) -> float:
        """``amount`` in currency ``source`` expressed in ``target``, to the cent."""
        euros = amount / self.per_euro[source]
        return round(euros * self.per_euro[target], 2)
