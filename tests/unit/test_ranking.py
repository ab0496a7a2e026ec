"""Checks and choices of the ranking step (no model: the engine part is tested with real GGUF
models in tests/engines)."""

from __future__ import annotations

from dataclasses import replace

from lsp_server import holes
from lsp_server.ranking import (
    Candidate,
    Site,
    check,
    choose,
    fills,
    layout_fits,
    probe,
    starts,
    undefined_names,
    without_new_errors,
)
from lsp_server.syntax_trees import Parsed


def site(prefix: str, suffix: str, language_id: str = "python") -> Site:
    text = prefix + suffix
    return Site(language_id, prefix, suffix, "\n", Parsed.parse(text, language_id), len(prefix))


LOOP = site("def f(xs):\n    total = 0\n    for x in xs:\n", "\n    return total\n")
OPENER_NEEDED = site("def f(xs):\n    total = 0\n", "\n        total += x\n    return total\n")


def test_layout_rules_for_python() -> None:
    assert layout_fits("        total += x", LOOP)
    assert not layout_fits("    total += x", LOOP)  # a block's first line must be deeper
    assert not layout_fits("        if x:", LOOP)  # an opener must be followed by a deeper line
    assert layout_fits("    for x in xs:", OPENER_NEEDED)
    assert not layout_fits("    total = 1", OPENER_NEEDED)  # the next line is deeper
    assert not layout_fits("        total = 1", OPENER_NEEDED)  # deeper than the line above
    assert layout_fits("anything {", site("int f() {\n", "\n}\n", "c"))  # braces: syntax decides


def test_names_the_suffix_reads_but_nothing_defines() -> None:
    s = site("def tri(n):\n    if n == 0:\n        return [1]\n",
             "\n    for i in range(2, n + 1):\n        my_tri.append(i / 2 + 1)\n"
             "    return my_tri\n")
    assert undefined_names(s) == ["my_tri"]
    assert starts(s) == ["    my_tri =", "    "]  # after a return: a dedent
    loop = site("def g(l):\n    for i in range(len(l)):\n",
                "\n            for k in range(j + 1, len(l)):\n                if l[k]:\n"
                "                    return k\n")
    assert undefined_names(loop) == ["j"]
    assert starts(loop)[0] == "        for j in"
    assert undefined_names(site("def h(a):\n", "\n    b = a.strip(key=1)\n    return b\n")) == []


def test_probe_is_what_follows_the_suggestion() -> None:
    assert probe(LOOP) == "\n    return total"
    assert probe(site("x = foo(", ")\nprint(x)\n")) == ")\nprint(x)"


def test_check_counts_added_syntax_errors_and_trims_them_away() -> None:
    s = site("def f(a, b):\n    return ", "\n\nprint(f(1, 2))\n")
    good = check("a + b", s)
    assert good.errors == 0 and good.valid and good.origin == "greedy"
    cut = check("a + (b * 2", s)  # cut back to what parses
    assert cut.text == "a" and cut.errors == 0 and cut.origin == "greedy, trimmed"
    hopeless = check("(((", s)
    assert hopeless.errors > 0 and not hopeless.valid
    assert without_new_errors(hopeless, s) == "" and without_new_errors(good, s) == "a + b"


def test_choose_prefers_valid_then_score_then_greedy() -> None:
    greedy = Candidate("    x", errors=0, fits=False, score=-1.0)
    fitting = Candidate("        x", origin="explored", score=-5.0)
    better = Candidate("        y", origin="explored", score=-3.0)
    assert choose([greedy, fitting, better]) is better
    assert choose([Candidate("a", score=-2.0), Candidate("b", score=-2.0)]).text == "a"
    assert choose([Candidate(""), Candidate("z", errors=1)]).text == "z"


def test_between_lines_of_code_code_beats_a_likelier_comment() -> None:
    comment = Candidate("    # compute it", score=-1.0)
    code = Candidate("    total = 0", origin="explored", score=-4.0)
    assert choose([comment, code]) is comment
    assert choose([comment, code], prefer_code=True) is code
    assert not comment.is_code("python") and code.is_code("python")


def test_an_empty_suggestion_is_right_at_the_end_of_a_finished_line() -> None:
    from lsp_server.ranking import _unfinished

    assert not _unfinished(site("def f(x):\n    y = x + 1", "\n    return y\n"))
    assert _unfinished(site("def f(x):\n    y = ", "\n    return y\n"))  # incomplete statement
    assert _unfinished(site("def f(x):\n    y = call(x", "\n    return y\n"))
    assert _unfinished(site("def f(x):\n    ", "\n    return y\n"))  # a blank line
    assert _unfinished(site("x = ", "\n", language_id="plaintext"))  # no grammar: explore


def test_in_a_hole_each_line_end_is_a_candidate_and_the_one_defining_the_needs_wins() -> None:
    prefix = "def f(xs):\n"
    suffix = "\n    for x in xs:\n        total += x\n    return total\n"
    needs = tuple(undefined_names(site(prefix, suffix)))
    assert needs == ("total",)
    hole = holes.analyse(prefix, suffix, needs)
    s = replace(site(prefix, suffix), hole=hole)
    found = fills("    # start\n    total = 0\n    count = 0", s)
    assert [c.text for c in found] == ["    # start", "    # start\n    total = 0",
                                       "    # start\n    total = 0\n    count = 0"]
    assert [c.missing for c in found] == [1, 0, 0]
    assert choose(found, prefer_code=True).text == "    # start\n    total = 0"  # the shortest
    opener = replace(site("def f(xs):\n    t = 0\n", "\n        t += x\n    return t\n"),
                     hole=holes.analyse("def f(xs):\n    t = 0\n",
                                        "\n        t += x\n    return t\n"))
    cuts = fills("    print(t)\n    for x in xs:", opener)
    assert [c.valid for c in cuts] == [False, True]  # the line after the hole is deeper
    assert choose(cuts).text == "    print(t)\n    for x in xs:"
