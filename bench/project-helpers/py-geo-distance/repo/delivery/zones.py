from .geo import haversine_km


def in_range(depot: tuple[float, float], address: tuple[float, float],
             radius_km: float) -> bool:
    """Whether an address is within the depot's delivery radius."""
    return haversine_km(depot, address) <= radius_km
