def deep_merge(base: dict, extra: dict) -> dict:
    """``base`` updated with ``extra``; nested dictionaries are merged, not replaced."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
