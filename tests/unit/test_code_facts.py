"""Facts read from a function's syntax tree for explanations (assist/code_facts.py), and their
templates in every locale of prompts/explain.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from lsp_server.assist.code_facts import CodeFacts, code_facts

EXPLAIN_TOML = Path(__file__).resolve().parents[2] / "prompts" / "explain.toml"


def facts(text: str, language: str = "python") -> CodeFacts:
    return code_facts(text, language, 0, len(text.rstrip()))


def keys(found: CodeFacts) -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    return ([(f.key, dict(f.values)) for f in found.does], [f.key for f in found.wrong])


def test_a_max_that_keeps_the_smaller_value_is_called_out() -> None:
    text = ("def find_max(values):\n    best = values[0]\n    for value in values[1:]:\n"
            "        if value < best:\n            best = value\n    return best\n")
    does, wrong = keys(facts(text))
    assert ("loops_over", {"iterable": "values[1:]", "target": "value"}) in does
    assert ("keeps_smaller", {"target": "best", "condition": "value < best"}) in does
    assert ("returns", {"value": "best"}) in does
    assert wrong == ["named_max_keeps_smaller"]
    # The right comparison is a fact, not a warning.
    _, right = keys(facts(text.replace("value < best", "value > best")))
    assert right == []


def test_returns_are_read_with_the_branch_they_are_in() -> None:
    text = ("def clamp(x, lo, hi):\n    if x < lo:\n        return lo\n    if x > hi:\n"
            "        return hi\n    return x\n")
    does, wrong = keys(facts(text))
    assert does == [("returns_when", {"value": "lo", "condition": "x < lo"}),
                    ("returns_when", {"value": "hi", "condition": "x > hi"}),
                    ("returns_otherwise", {"value": "x"})]
    assert wrong == []
    handler = ("def load(path):\n    try:\n        return read(path)\n"
               "    except FileNotFoundError:\n        return {}\n")
    assert ("returns_on_error", {"value": "{}", "error": "FileNotFoundError"}) \
        in keys(facts(handler))[0]
    else_branch = ("def sign(x):\n    if x:\n        y = 1\n    else:\n        return -1\n"
                   "    return y\n")
    assert ("returns_when", {"value": "-1", "condition": "not x"}) in keys(facts(else_branch))[0]


def test_loops_that_reset_their_total_or_return_at_once_are_called_out() -> None:
    reset = ("def running_total(values):\n    for v in values:\n        total = 0\n"
             "        total += v\n    return total\n")
    assert keys(facts(reset))[1] == ["reset_in_loop"]
    first = "def first_even(xs):\n    for x in xs:\n        return x\n"
    assert "returns_first_pass" in keys(facts(first))[1]
    guarded = ("def first_even(xs):\n    for x in xs:\n        if x % 2:\n"
               "            continue\n        return x\n")
    assert "returns_first_pass" not in keys(facts(guarded))[1]


def test_shadowed_branches_backward_ranges_and_divisions_by_a_length() -> None:
    fizz = ("def fizz(n):\n    if n % 3 == 0:\n        return 'Fizz'\n    elif n % 15 == 0:\n"
            "        return 'FizzBuzz'\n    return str(n)\n")
    assert keys(facts(fizz))[1] == ["shadowed"]
    assert keys(facts(fizz.replace("n % 3 ==", "n % 7 ==")))[1] == []
    backward = "def last(items):\n    for i in range(len(items) - 1, 0, -1):\n        print(i)\n"
    assert "stops_before_zero" in keys(facts(backward))[1]
    mean = "def mean(xs):\n    return sum(xs) / len(xs)\n"
    assert keys(facts(mean))[1] == ["empty_division"]
    assert keys(facts("def mean(xs):\n    if not xs:\n        return 0\n"
                      "    return sum(xs) / len(xs)\n"))[1] == []


def test_recursion_raises_updates_and_unused_parameters() -> None:
    text = ("def walk(node, depth, unused, seen=[]):\n    if node is None:\n"
            "        raise ValueError('no node')\n    for child in node.children:\n"
            "        if child not in seen:\n            seen.append(child)\n"
            "            walk(child, depth + 1, None)\n    return depth\n")
    does, wrong = keys(facts(text))
    assert ("raises_when", {"error": "ValueError('no node')", "condition": "node is None"}) \
        in does
    assert ("calls_itself", {"call": "walk(child, depth + 1, None)"}) in does
    assert ("updates_when", {"statement": "seen.append(child)",
                             "condition": "child not in seen"}) in does
    assert wrong == ["unused_parameter", "mutable_default"]


def test_javascript_functions_give_the_same_facts() -> None:
    text = ("function sumPositive(xs) {\n  let s = 0;\n  for (const x of xs) {\n"
            "    if (x > 0) {\n      s += x;\n    }\n  }\n  return s;\n}\n")
    does, _ = keys(facts(text, "javascript"))
    assert does == [("loops_over", {"iterable": "xs", "target": "x"}),
                    ("updates_when", {"statement": "s += x", "condition": "x > 0"}),
                    ("returns", {"value": "s"})]


def test_facts_render_in_every_locale_with_the_same_placeholders() -> None:
    tables = tomllib.loads(EXPLAIN_TOML.read_text())["facts"]
    english = tables["en"]
    assert set(tables) == {"en", "ja", "zh", "ko", "de", "fr", "es", "pt", "it", "ru"}
    for locale, table in tables.items():
        assert set(table) == set(english), locale
        for key, template in table.items():
            assert set(re.findall(r"\{(\w+)\}", template)) == \
                set(re.findall(r"\{(\w+)\}", english[key])), (locale, key)
    text = "def f(xs):\n    return sum(xs) / len(xs)\n"
    does, wrong = facts(text).lines(tables["ja"])
    assert does == ["`sum(xs) / len(xs)` を返します。"]
    assert wrong == ["`xs` が空のとき失敗します（ゼロ除算）。"]


def test_code_without_a_grammar_has_no_facts() -> None:
    assert not facts("anything at all", "plaintext")
