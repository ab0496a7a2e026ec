import json

DEFAULTS = {"port": 8080, "workers": 2, "debug": False}


def load_settings(path: str) -> dict[str, object]:
    """The service's settings: the JSON file at ``path`` over the defaults."""
    with open(path, encoding="utf-8") as f:
        return {**DEFAULTS, **json.load(f)}
