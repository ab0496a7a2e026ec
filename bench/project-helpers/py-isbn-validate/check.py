from library.catalog import BOOKS, add_book
add_book("978-0-306-40615-7", "A")
try:
    add_book("978-0-306-40615-8", "B")
except ValueError:
    pass
else:
    raise AssertionError("a wrong check digit must be refused")
assert list(BOOKS) == ["978-0-306-40615-7"]
