import re


def make_url_slug(title: str) -> str:
    """Lower-case, hyphen-separated form of a title, for URLs."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
