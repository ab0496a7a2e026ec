def moving_average(values: list[float], window: int) -> list[float]:
    """The mean of each run of ``window`` consecutive values."""
    return [sum(values[i:i + window]) / window for i in range(len(values) - window + 1)]
