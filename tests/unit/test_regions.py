"""Regions a fix may rewrite, and the minimal edits that turn a region into its fix."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lsp_server import regions
from lsp_server.regions import Region, apply_edits, fix_region, function_region, minimal_edits

PYTHON = """import os


class Shape:
    def area(self):
        return self.w * self.h

    def grow(self, k):
        self.w *= k
        self.h *= k


def total(shapes):
    result = 0
    for shape in shapes:
        result += shape.area()
    return result


LIMIT = compute(
    1,
    2,
)
"""


def at(text: str, needle: str) -> int:
    index = text.index(needle)
    return index


def test_the_innermost_function_in_whole_lines() -> None:
    offset = at(PYTHON, "self.w * self.h")
    region = fix_region(PYTHON, "python", offset, offset)
    assert region.kind == "function" and region.name == "area"
    assert region.text(PYTHON) == "    def area(self):\n        return self.w * self.h"


def test_a_range_across_two_methods_takes_the_class() -> None:
    start, end = at(PYTHON, "return self.w"), at(PYTHON, "self.h *= k")
    region = fix_region(PYTHON, "python", start, end)
    assert region.kind == "block"
    assert region.text(PYTHON).startswith("class Shape:")
    assert region.text(PYTHON).endswith("self.h *= k")


def test_a_top_level_statement_is_a_block() -> None:
    offset = at(PYTHON, "    2,")
    region = fix_region(PYTHON, "python", offset, offset)
    assert region.kind == "block"
    assert region.text(PYTHON) == "LIMIT = compute(\n    1,\n    2,\n)"


def test_a_function_too_long_for_a_fix_narrows_to_a_block_inside() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(30))
    text = f"def big():\n{body}    if x1:\n        return x2\n    return 0\n"
    offset = at(text, "return x2")
    assert fix_region(text, "python", offset, offset).kind == "function"
    narrow = fix_region(text, "python", offset, offset, max_lines=10)
    assert narrow.kind == "block"
    assert narrow.text(text) == "    if x1:\n        return x2"


def test_without_a_grammar_the_paragraph_around_the_range() -> None:
    text = "a = 1\n\nb = 2\nc = b + 1\nd = c\n\ne = 5\n"
    offset = at(text, "c = b")
    region = fix_region(text, "plaintext", offset, offset)
    assert region.kind == "lines"
    assert region.text(text) == "b = 2\nc = b + 1\nd = c"


def test_function_region_is_none_outside_functions() -> None:
    assert function_region(PYTHON, "python", at(PYTHON, "import os")) is None
    assert function_region(PYTHON, "python", 0) is None
    found = function_region(PYTHON, "python", at(PYTHON, "result += "))
    assert found is not None and found.name == "total"
    assert function_region("x = 1\n", "no-such-language", 0) is None


def test_braces_languages() -> None:
    text = "function f(a) {\n  if (a) {\n    return 1;\n  }\n  return 2;\n}\nconst z = 3;\n"
    offset = at(text, "return 1")
    region = fix_region(text, "javascript", offset, offset)
    assert region.kind == "function"
    assert region.text(text) == text[: text.index("\nconst")]


def region_of(text: str, first: str, last: str) -> Region:
    start, end = regions.line_bounds(text, text.index(first), text.index(last) + len(last))
    return Region(start, end, "function")


def test_one_changed_character_is_one_tiny_edit() -> None:
    text = "def f(n):\n    n ^= n - 1\n    return n\n"
    region = region_of(text, "def f", "return n")
    edits = minimal_edits(text, region, "def f(n):\n    n &= n - 1\n    return n")
    assert len(edits) == 1
    assert text[edits[0].start:edits[0].end] == "^" and edits[0].new_text == "&"


def test_an_inserted_line_at_the_end_stays_inside_the_region() -> None:
    text = "def f():\n    a = 1\nprint(f())\n"
    region = region_of(text, "def f", "a = 1")
    edits = minimal_edits(text, region, "def f():\n    a = 1\n    return a")
    assert all(region.start <= e.start <= e.end <= region.end for e in edits)
    assert apply_edits(text, edits) == "def f():\n    a = 1\n    return a\nprint(f())\n"


def test_deleting_the_last_line_keeps_the_following_text() -> None:
    text = "def f():\n    a = 1\n    b = 2\nx = 3\n"
    region = region_of(text, "def f", "b = 2")
    edits = minimal_edits(text, region, "def f():\n    a = 1")
    assert all(region.start <= e.start <= e.end <= region.end for e in edits)
    assert apply_edits(text, edits) == "def f():\n    a = 1\nx = 3\n"


def test_crlf_documents_get_crlf() -> None:
    text = "def f():\r\n    a = 1\r\n    return a\r\n"
    region = region_of(text, "def f", "return a")
    edits = minimal_edits(text, region, "def f():\n    a = 2\n    b = a\n    return b")
    assert apply_edits(text, edits) == "def f():\r\n    a = 2\r\n    b = a\r\n    return b\r\n"


def test_respacing_and_trailing_blanks_are_not_changes() -> None:
    text = "func f() {\n\tx := 1\n\treturn x\n}\n"
    region = region_of(text, "func f", "}")
    # A model that wrote spaces for tabs and left trailing spaces, fixing one line.
    edits = minimal_edits(text, region, "func f() {   \n    x := 2\n    return x\n}")
    assert apply_edits(text, edits) == "func f() {\n\tx := 2\n\treturn x\n}\n"
    assert len(edits) == 1
    assert minimal_edits(text, region, "func f() {\n    x := 1  \n    return x\n}") == []


lines = st.lists(st.sampled_from(["a", "b", "  c", "d = 1", "", "    e()"]), min_size=1,
                 max_size=8)


@settings(max_examples=300, deadline=None)
@given(before=st.lists(st.sampled_from(["x", "y", ""]), max_size=3), old=lines, new=lines,
       after=st.lists(st.sampled_from(["z", ""]), max_size=3),
       eol=st.sampled_from(["\n", "\r\n"]))
def test_edits_rebuild_the_replacement_and_stay_inside(
        before: list[str], old: list[str], new: list[str], after: list[str], eol: str) -> None:
    head = "".join(line + eol for line in before)
    body = eol.join(old)
    text = head + body + "".join(eol + line for line in after)
    region = Region(len(head), len(head) + len(body), "lines")
    edits = minimal_edits(text, region, "\n".join(new))
    assert all(region.start <= e.start <= e.end <= region.end for e in edits)
    written = eol if len(before) + len(old) + len(after) > 1 else "\n"  # a one-line file: LF
    assert apply_edits(text, edits) == head + written.join(new) + "".join(
        eol + line for line in after)
