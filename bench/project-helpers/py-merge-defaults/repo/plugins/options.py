from plugins.dicts import deep_merge

DEFAULTS = {"cache": {"size": 100, "ttl": 60}, "verbose": False}


def plugin_options(overrides: dict) -> dict:
    """A plugin's options: its overrides over the defaults, section by section."""
    return deep_merge(DEFAULTS, overrides)
