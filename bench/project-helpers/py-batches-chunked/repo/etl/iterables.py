from collections.abc import Iterator, Sequence


def chunked(items: Sequence, size: int) -> Iterator[list]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield list(items[start:start + size])
