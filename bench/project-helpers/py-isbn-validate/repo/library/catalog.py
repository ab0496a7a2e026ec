from library.isbn import is_valid_isbn

BOOKS: dict[str, str] = {}


def add_book(isbn: str, title: str) -> None:
    """Catalogue a book; a mistyped ISBN is refused."""
    if not is_valid_isbn(isbn):
        raise ValueError(f"invalid ISBN: {isbn}")
    BOOKS[isbn] = title
