from news.text import truncate_words


def teaser(article: str) -> str:
    """The front page shows the first 20 words of an article."""
    return truncate_words(article, 20)
