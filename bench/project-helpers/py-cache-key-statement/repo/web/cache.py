from web.keys import cache_key

STORE: dict[str, str] = {}


def remember(request_path: str, params: dict[str, str], body: str) -> str:
    """Cache a response body under its request."""
    key = cache_key(request_path, params)
    STORE[key] = body
    return key
