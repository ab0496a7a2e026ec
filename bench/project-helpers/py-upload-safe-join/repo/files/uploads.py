import os

from files.paths import safe_join

UPLOAD_DIR = "/srv/uploads"


def target_path(filename: str) -> str:
    """Where an uploaded file is stored; names climbing out of the folder fail."""
    path = safe_join(UPLOAD_DIR, filename)
    return path
