from metrics.series import moving_average


def smoothed(samples: list[float]) -> list[float]:
    """Latency samples smoothed over three measurements for the dashboard."""
    return moving_average(samples, 3)
