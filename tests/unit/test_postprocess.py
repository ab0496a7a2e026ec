"""Post-processing: what is offered where, and how raw model text is trimmed."""

from __future__ import annotations

import pytest

from lsp_server import holes
from lsp_server import postprocess as pp


def finish_at(document: str, raw: str, invoked: bool = False) -> str | None:
    """Run plan + finish for a document with a ``|`` cursor; None when nothing is offered."""
    prefix, suffix = document.split("|")
    lines_before = prefix.split("\n")
    lines_after = suffix.split("\n")
    prev_line = lines_before[-2] if len(lines_before) > 1 else ""
    next_line = lines_after[1] if len(lines_after) > 1 else ""
    plan = pp.plan(lines_before[-1], lines_after[0], prev_line, next_line, invoked)
    if plan is None:
        return None
    # Generation stops where the plan says; emulate the engine's early stop.
    stop = pp.stop_condition(plan, lines_before[-1])
    for end in range(1, len(raw) + 1):
        if stop(raw[:end]):
            raw = raw[:end]
            break
    return pp.finish(raw, plan, prefix, suffix)


def test_no_suggestion_in_the_middle_of_a_word_unless_invoked() -> None:
    assert finish_at("valu|e = 1\n", "able") is None
    assert finish_at("valu|e = 1\n", "able", invoked=True) == "able"


def test_word_start_before_an_identifier_is_also_mid_word() -> None:
    assert finish_at("x = |foo\n", "bar + ") is None


def test_mid_line_keeps_only_the_rest_of_the_line() -> None:
    assert finish_at("total = |\n", "price * qty\nprint(total)\n") == "price * qty"


def test_suffix_overlap_is_cut_for_auto_paired_bracket() -> None:
    # The editor inserted ")" already; the model writes it again.
    assert finish_at("print(|)\n", "name)") == "name"


def test_suffix_overlap_with_longer_rest_of_line() -> None:
    assert finish_at("if (ready|) {\n", " && valid) {") == " && valid"


def test_lone_shared_letter_is_not_treated_as_overlap() -> None:
    assert finish_at("call(|e)\n", "name, ", invoked=True) == "name,"


def test_nested_brackets_balanced_against_suffix() -> None:
    # The suffix closes the outer call; the suggestion may close only the inner one.
    assert finish_at("result = outer(inner(|)\n", "a, b))") == "a, b)"


def test_stray_closer_is_cut() -> None:
    assert finish_at("x = [1, 2|\n", ", 3]]") == ", 3]"


def test_brackets_inside_strings_do_not_count() -> None:
    assert finish_at("print(|)\n", "\"a)\" + s)") == "\"a)\" + s"


def test_unfinished_multiline_call_may_be_closed() -> None:
    doc = "value = compute(\n    first,\n    |\n"
    assert finish_at(doc, "second)") == "second)"


def test_block_after_colon_stops_at_dedent() -> None:
    doc = "def total(items):\n    result = 0\n    for item in items:|\n"
    raw = "\n        result += item\n    return result\n"
    assert finish_at(doc, raw) == "\n        result += item"


def test_empty_line_in_empty_block_gets_several_lines() -> None:
    doc = "def area(w, h):\n    |\n\nprint(area(2, 3))\n"
    raw = "if w < 0:\n        raise ValueError(w)\n    return w * h\n\nprint(area(1, 1))"
    assert finish_at(doc, raw) == (
        "if w < 0:\n        raise ValueError(w)\n    return w * h")


def test_empty_line_between_statements_is_single_line() -> None:
    doc = "def f():\n    a = 1\n    |\n    return a\n"
    assert finish_at(doc, "b = 2\n    c = 3") == "b = 2"


def test_brace_block_stops_before_the_closing_brace_in_the_suffix() -> None:
    doc = "function f(x) {|\n}\n"
    raw = "\n  const y = x * 2;\n  return y;\n}\n"
    assert finish_at(doc, raw) == "\n  const y = x * 2;\n  return y;"


def test_multiline_stops_where_it_repeats_the_suffix() -> None:
    doc = "def f(x):|\n    return x\n"
    assert finish_at(doc, "\n    y = x + 1\n    return x\n") == "\n    y = x + 1"


def test_tabs_indentation_block_end() -> None:
    doc = "func main() {\n\tfor {|\n\t}\n}\n"
    raw = "\n\t\tstep()\n\t}\n}"
    assert finish_at(doc, raw) == "\n\t\tstep()"


def test_trailing_whitespace_removed_and_whitespace_only_dropped() -> None:
    assert finish_at("x = |\n", "42   ") == "42"
    assert finish_at("x = |\n", "   \t ") == ""
    assert finish_at("def f():|\n", "\n\n   \n") == ""


def test_crlf_documents_get_crlf_suggestions() -> None:
    prefix = "def f(x):\r\n    if x:"
    suffix = "\r\n"
    plan = pp.plan("    if x:", "", "def f(x):", "", False)
    assert plan is not None and plan.multiline
    out = pp.finish("\n        return 1\n        x += 1\n", plan, prefix, suffix, eol="\r\n")
    assert out == "\r\n        return 1\r\n        x += 1"


@pytest.mark.parametrize("raw", ["\n", "", "   "])
def test_nothing_but_whitespace_is_no_suggestion(raw: str) -> None:
    assert finish_at("x = |\n", raw) == ""


def test_a_lone_line_continuation_is_no_suggestion() -> None:
    assert finish_at("def f(a,|\n", " \\") == ""


def finish_in(language_id: str, prefix: str, suffix: str, raw: str) -> str:
    plan = pp.Plan(multiline=False)
    return pp.finish(raw, plan, prefix, suffix, "\n", language_id)


def test_a_rust_attribute_is_code_not_a_comment() -> None:
    # `#` starts no comment in Rust: the brackets the attribute opened may be closed.
    prefix, suffix = "use std::fmt;\n\n#[derive(", "\nstruct Point { x: i32 }\n"
    assert finish_in("rust", prefix, suffix, "Debug, Clone)]") == "Debug, Clone)]"
    # In Python the same line is a comment, and its brackets do not count.
    assert finish_in("python", "#[derive(", "\n", "Debug)]") == "Debug"


def test_a_c_define_keeps_its_closing_parenthesis() -> None:
    prefix, suffix = "#include <stdio.h>\n#define MAX(a, b) (", "\n\nint main(void) {}\n"
    assert finish_in("c", prefix, suffix, "(a) > (b) ? (a) : (b))") == "(a) > (b) ? (a) : (b))"
    assert finish_in("cpp", "#if defined(", "\n#endif\n", "DEBUG)") == "DEBUG)"


def test_each_language_has_its_own_comments_and_strings() -> None:
    # `//` comments out the rest of a C line, so its brackets are not the suggestion's.
    assert finish_in("c", "int x = f(", "\n", "1); // g(") == "1); // g("
    # A Rust lifetime is not a string: the parenthesis after it still closes the call.
    assert finish_in("rust", "fn f<'a>(x: &'a str", "\n", ") -> &'a str {") == \
        ") -> &'a str {"


def test_a_hole_keeps_the_lines_up_to_where_the_generation_leaves_it() -> None:
    prefix = "def f(xs):\n    total = 0\n"
    suffix = "\n        total += x\n    return total\n"
    hole = holes.analyse(prefix, suffix)
    assert hole is not None
    plan = pp.Plan(multiline=True, hole=hole)
    raw = "    for x in xs:\n        total += x\n    return total\n"
    stop = pp.stop_condition(plan, "")
    ended = next(end for end in range(1, len(raw) + 1) if stop(raw[:end]))
    assert raw[:ended] == "    for x in xs:\n        total += x\n"  # stopped at the repeat
    assert pp.finish(raw[:ended], plan, prefix, suffix) == "    for x in xs:"
