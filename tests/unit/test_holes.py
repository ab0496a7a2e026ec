"""How much is missing at an empty line with code after it (no model: the pipeline's use of it
with the embedded model is tested in tests/model)."""

from __future__ import annotations

from lsp_server import holes
from lsp_server.holes import Hole

PREFIX = "def total(xs):\n    s = 0\n"
SUFFIX = "\n        s += x\n    return s\n"


def test_a_hole_knows_its_level_floor_and_the_line_after_it() -> None:
    hole = holes.analyse(PREFIX, SUFFIX)
    assert hole == Hole(level=4, floor=4, next_line="s += x", next_indent=8)
    assert hole.opener_needed  # the line after it is deeper: the hole ends opening a block
    after_opener = holes.analyse("def f(xs):\n    for x in xs:\n", "\n    return 1\n")
    assert after_opener is not None and after_opener.level == 8 and after_opener.floor == 4
    assert not after_opener.opener_needed
    assert holes.analyse("def f():\n    x = ", "\n") is None  # not on an empty line
    assert holes.analyse("", "\nx = 1\n") is None  # nothing above
    assert holes.analyse("x = 1\n", "y\n") is None  # code after the cursor on its line


def test_generation_stops_where_it_leaves_the_hole_or_goes_round_in_circles() -> None:
    hole = holes.analyse(PREFIX, SUFFIX)
    assert hole is not None
    done = holes.stop_condition(hole, "")
    assert not done("    for x in xs:\n        s")
    assert done("    for x in xs:\n        s += x\n")  # led into the code below
    assert done("    for x in xs:\nprint(s)\n")  # indented less than the block
    assert done("    # add them\n    # up\n")  # a run of comments
    assert done("    s = s + 1\n    s = s + 1\n")  # the same line again
    assert done("    a = 1\n\n\n")  # two blank lines
    assert not done("    a = 1\n\n    b = 2\n")
    assert done("".join(f"    v{i} = {i}\n" for i in range(holes.MAX_HOLE_LINES)))


def test_a_closing_bracket_alone_must_be_at_the_next_lines_indentation() -> None:
    hole = holes.analyse("function f(xs) {\n  let s = 0;\n", "\n}\n")
    assert hole is not None and hole.floor == 0
    text = "  if (xs) {\n    s = 1;\n  }\n  return s;\n}\nfoo();"
    assert holes.within(text, hole, "") == "  if (xs) {\n    s = 1;\n  }\n  return s;"


def test_within_cuts_at_the_line_leading_into_the_suffix_and_cuts_are_line_ends() -> None:
    hole = holes.analyse(PREFIX, SUFFIX)
    assert hole is not None
    assert holes.within("    for x in xs:\n\n        s += x\n    return s", hole, "") == \
        "    for x in xs:"
    assert holes.cuts("    a = 1\n\n    b = 2") == ["    a = 1", "    a = 1\n\n    b = 2"]
    assert holes.cuts("") == []


def test_names_a_fill_binds() -> None:
    code = ("    a, (b, c) = 1, (2, 3)\n    d += 1\n    e: int = 4\n    for f, g in h:\n"
            "        with open(p) as i:\n            def j(k): pass\n"
            "    if (m := n):\n    import os.path, re as rx\n    q == r\n")
    assert holes.binds(code) >= {"a", "b", "c", "d", "e", "f", "g", "i", "j", "m", "os",
                                 "rx"}
    assert not holes.binds(code) & {"h", "n", "p", "q", "r"}
    hole = Hole(4, 4, "return c", 4, needs=("c", "total"))
    assert holes.defines_needs("    c = 0", hole) == 1
    assert holes.defines_needs("    c = total = 0", hole) == 2
