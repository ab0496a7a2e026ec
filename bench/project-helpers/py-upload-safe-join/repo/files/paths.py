import os


def safe_join(root: str, name: str) -> str:
    """``root``/``name``, refusing any name that would leave ``root`` (ValueError)."""
    path = os.path.normpath(os.path.join(root, name))
    if not path.startswith(os.path.normpath(root) + os.sep):
        raise ValueError(f"unsafe file name: {name}")
    return path
