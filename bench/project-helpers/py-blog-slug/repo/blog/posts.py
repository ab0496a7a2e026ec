from dataclasses import dataclass

from textutils.slugs import make_url_slug


@dataclass
class Post:
    title: str
    body: str


def post_path(post: Post) -> str:
    """The URL path of a blog post."""
    return "/posts/" + make_url_slug(post.title)
