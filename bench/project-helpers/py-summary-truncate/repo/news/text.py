def truncate_words(text: str, limit: int) -> str:
    """The first ``limit`` words of ``text``, with an ellipsis when some were cut."""
    words = text.split()
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")
