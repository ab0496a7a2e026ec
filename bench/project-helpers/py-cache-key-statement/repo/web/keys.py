import hashlib
import json


def cache_key(path: str, params: dict[str, str]) -> str:
    """A stable key for a GET request: path plus sorted query parameters, hashed."""
    blob = json.dumps([path, sorted(params.items())])
    return hashlib.sha1(blob.encode()).hexdigest()
