from dataclasses import dataclass

from textutils.slugs import make_url_slug


@dataclass
class Post:
    title: str
    body: str


def heading(post: Post) -> str:
    """The title shown above a post, as the author wrote it."""
    return post.title
