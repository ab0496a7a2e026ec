from jobs.durations import parse_duration


def timeout_ms(text: str) -> int:
    """A job's timeout, written like "2m" in its config, in milliseconds."""
    seconds = parse_duration(text)
    return seconds * 1000
