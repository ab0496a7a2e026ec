import json

from service.config import load_settings


def describe(path: str) -> str:
    """What the service will listen on, from its settings file."""
    settings = load_settings(path)
    return f"port {settings['port']} with {settings['workers']} workers"
