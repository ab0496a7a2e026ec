"""Structural fix candidates (assist/mutations.py): the usual one-token bugs, made from the
syntax tree of Python and JavaScript functions."""

from __future__ import annotations

import ast

from lsp_server.assist.mutations import Mutation, mutations


def changes(text: str, language: str = "python", kinds: tuple[str, ...] = ()
            ) -> set[tuple[str, str, str]]:
    """(kind, old, new) for every mutation of the first function in ``text``."""
    found = mutations(text, language, 0, len(text.rstrip()))
    return {(m.kind, text[m.start:m.end], m.text) for m in found
            if not kinds or m.kind in kinds}


def applied(text: str, language: str = "python") -> list[str]:
    return [m.apply(text) for m in mutations(text, language, 0, len(text.rstrip()))]


KNAPSACK = """def best(capacity, items):
    total = 0
    for weight, value in items:
        if weight < capacity:
            total += value
    return total
"""


def test_comparisons_and_augmented_operators_turn_into_their_usual_confusions() -> None:
    found = changes(KNAPSACK, kinds=("operator",))
    assert ("operator", "<", "<=") in found and ("operator", "<", ">") in found
    assert ("operator", "+=", "-=") in found
    bits = changes("def count(n):\n    while n:\n        n ^= n - 1\n", kinds=("operator",))
    assert ("operator", "^=", "&=") in bits


def test_a_variable_becomes_another_one_in_scope_never_an_unknown_name() -> None:
    text = ("def sort(arr, k):\n    counts = [0] * k\n    out = []\n"
            "    for i, count in enumerate(arr):\n        out.extend([i] * count)\n"
            "    return out\n")
    names = {new for kind, old, new in changes(text, kinds=("name",)) if old == "arr"}
    assert names == {"k", "counts", "out", "i", "count"}
    # Built-ins and attributes are not variables; a parameter is never renamed where declared.
    assert not any(old in ("enumerate", "extend") for _, old, _ in changes(text, kinds=("name",)))
    assert all(m.start != text.index("arr") for m in mutations(text, "python", 0, len(text))
               if m.kind == "name")


def test_comprehension_variables_stay_inside_their_comprehension() -> None:
    text = "def f(xs, y):\n    z = [g(y) for x in xs]\n    return z\n"
    found = changes(text, kinds=("name",))
    assert ("name", "z", "x") not in found
    assert ("name", "y", "x") in found


def test_no_name_is_unbound_and_no_value_compared_with_itself() -> None:
    text = ("def kth(arr, k):\n    less = len(arr) - 1\n    more = len(arr) + 1\n"
            "    if k < less:\n        return more\n    return less\n")
    found = changes(text, kinds=("name",))
    # ``less = …`` is the only binding of a name read below: renaming it would unbind it.
    assert not any(m.start == text.index("less") for m in mutations(text, "python", 0, 99)
                   if m.kind == "name")
    assert ("name", "less", "more") in found  # a use of it may change
    assert ("name", "k", "less") not in found  # ``less < less``


def test_an_undefined_name_becomes_a_variable() -> None:
    text = "def circumference(r):\n    return 2 * 3.14 * rr\n"
    assert ("name", "rr", "r") in changes(text, kinds=("name",))


def test_indices_and_arguments_may_be_one_off_and_constants_terms_dropped() -> None:
    text = "def f(dp, i, j):\n    dp[i, j] = dp[i - 1, j] + 1\n    return range(0, i)\n"
    result = applied(text)
    assert "def f(dp, i, j):\n    dp[i, j] = dp[i - 1, j - 1] + 1\n    return range(0, i)\n" \
        in result
    assert "def f(dp, i, j):\n    dp[i, j] = dp[i - 1, j] + 1\n    return range(0, i + 1)\n" \
        in result
    assert "def f(dp, i, j):\n    dp[i, j] = dp[i - 1, j]\n    return range(0, i)\n" in result
    assert ("swap", "i, j", "j, i") in changes(text, kinds=("swap",))


def test_arguments_swapped_calls_unwrapped_siblings_completed() -> None:
    text = ("def gcd(a, b):\n    if b == 0:\n        return a\n    return gcd(a % b, b)\n")
    assert ("swap", "a % b, b", "b, a % b") in changes(text, kinds=("swap",))
    flat = ("def flatten(arr):\n    for x in arr:\n        if isinstance(x, list):\n"
            "            yield from flatten(x)\n        else:\n            yield flatten(x)\n")
    assert ("unwrap", "flatten(x)", "x") in changes(flat, kinds=("unwrap",))
    lcs = "def lcs(a, b):\n    return a[0] + lcs(a[1:], b)\n"
    assert ("extend", "b", "b[1:]") in changes(lcs, kinds=("extend",))


def test_statements_are_never_unwrapped_into_bare_values() -> None:
    text = "def f(steps, x):\n    steps.append(g(x))\n    g(x)\n"
    unwrapped = [m for m in mutations(text, "python", 0, len(text)) if m.kind == "unwrap"]
    assert [m.apply(text) for m in unwrapped] == [
        "def f(steps, x):\n    steps.append(x)\n    g(x)\n"]


def test_negations_partners_and_a_missing_return() -> None:
    text = ("def primes(limit):\n    found = []\n    for n in range(2, limit):\n"
            "        if any(n % p > 0 for p in found):\n            found.append(n)\n")
    found = changes(text)
    assert ("partner", "any", "all") in found
    assert any(kind == "negation" and new.startswith("not any(") for kind, _, new in found)
    assert ("return", "", "\n    return found") in found
    assert ("negation", "not done", "done") in changes(
        "def f(done):\n    while not done:\n        done = True\n")


def test_every_python_mutation_is_one_small_change_that_still_parses() -> None:
    for text in (KNAPSACK, "def f(a, b):\n    return a - b if a > b else -a\n"):
        for mutation in mutations(text, "python", 0, len(text)):
            assert isinstance(mutation, Mutation)
            ast.parse(mutation.apply(text))
            assert mutation.apply(text) != text


def test_javascript_functions_get_the_same_classes() -> None:
    text = ("function sum(xs, n) {\n  let s = 0;\n  for (let i = 0; i < n; i++) {\n"
            "    if (!xs[i]) { continue; }\n    s += xs[i];\n  }\n  return s;\n}\n")
    found = changes(text, "javascript")
    assert ("operator", "<", "<=") in found
    assert ("operator", "+=", "-=") in found
    assert ("negation", "!xs[i]", "xs[i]") in found
    assert ("name", "n", "s") in found
    assert not any(new in ("and", "or", "is", "not in") for _, _, new in found)


def test_a_range_limits_the_lines_and_other_text_is_left_alone() -> None:
    text = KNAPSACK + "\n\ndef other(a, b):\n    return a < b\n"
    start = text.index("def other")
    found = mutations(text, "python", start, len(text.rstrip()))
    assert found and all(m.start >= start for m in found)
    line = text[:text.index("if weight")].count("\n")
    only = mutations(text, "python", 0, start, lines={line})
    assert only and all(text.count("\n", 0, m.start) == line for m in only)
    assert mutations("no grammar here", "plaintext", 0, 15) == []
