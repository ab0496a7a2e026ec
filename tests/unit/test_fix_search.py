"""Fixes found by searching small edits (assist/fix_search.py): the rules that pick a
candidate, and the search itself on the tiny real GGUF model (steps, giving way, cancelling,
never a worse parse)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lsp_server import regions, syntax
from lsp_server.assist import Assistant, FixRequest, FixResult, Problem, SearchFixSession
from lsp_server.assist.fix_candidates import (
    ADDED_PRICE,
    REMOVED_PRICE,
    EditCandidate,
    best_candidate,
    edit_price,
    first_token_gain,
)
from lsp_server.assist.fix_reading import _tail_lines
from lsp_server.assist.fix_search import MARGIN, EditSearch, can_search
from lsp_server.config import Settings
from lsp_server.engines.base import CancelToken, Engine, TokenChoice
from lsp_server.models import load_engine
from tests.tiny_gguf import write_tiny_gguf
from tests.unit.conftest import AVERAGE_SOURCE as SOURCE

NEEDLE = "len(value)"


def candidate(**changes: object) -> EditCandidate:
    base = EditCandidate(start=0, end=1, text="y", kind="operator", line=0, errors=0,
                         price=0.0, first_gain=0.0)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_removing_words_costs_more_than_adding_them() -> None:
    assert edit_price("return total", "return total") == 0
    assert edit_price("x = a + b", "x = a") == 2 * REMOVED_PRICE
    assert edit_price("x = a", "x = a + b") == 2 * ADDED_PRICE
    assert edit_price("len(value)", "len(values)") == REMOVED_PRICE + ADDED_PRICE


def test_a_better_parse_wins_over_a_better_score() -> None:
    likelier = candidate(errors=1, first_gain=9.0)
    parses = candidate(text="z", errors=0, first_gain=-1.0)
    assert best_candidate([likelier, parses], errors_before=1, margin=1.0) is parses


def test_a_change_must_beat_the_code_as_it_is_by_the_margin() -> None:
    assert best_candidate([candidate(first_gain=2.0, price=3.0)], 0, 0.0) is None
    assert best_candidate([candidate(first_gain=1.5, price=0.5)], 0, MARGIN) is None
    paying = candidate(first_gain=4.0, price=3.0, bonus=0.5)
    assert paying.score == 1.5
    assert best_candidate([paying], errors_before=0, margin=1.0) is paying
    assert best_candidate([], errors_before=0, margin=1.0) is None


def test_candidates_measured_on_the_following_code_outrank_the_rest() -> None:
    measured = candidate(first_gain=0.5, gain=2.0)
    unmeasured = candidate(text="z", first_gain=9.0)
    assert best_candidate([unmeasured, measured], 0, 1.0) is measured


def test_a_first_estimate_comes_from_the_alternatives_read() -> None:
    read = "if a < b:\n"
    choices = [TokenChoice(0, "if", -0.1, ()), TokenChoice(2, " a", -1.0, ()),
               TokenChoice(4, " <", -2.0, ((" <=", -0.5), (" >", -3.0))),
               TokenChoice(6, " b", -0.2, ()), TokenChoice(8, ":", -0.1, ())]
    assert first_token_gain(choices, read, 5, 6, "<=") == 1.5  # " <=" was listed
    assert first_token_gain(choices, read, 5, 6, ">") == -1.0
    # Not listed: below the last listed alternative.
    assert first_token_gain(choices, read, 5, 6, "==") < -1.0
    assert candidate(start=2, end=3, text="xy").apply("abcd") == "abxyd"


def test_context_keeps_whole_lines_from_the_end() -> None:
    assert _tail_lines("a\nbb\nccc", 5, len) == "ccc"
    assert _tail_lines("a\nbb\nccc", 100, len) == "a\nbb\nccc"


@pytest.fixture
def assistant(engine: Engine) -> Assistant:
    return Assistant(engine, Settings(model_path=engine.info.path, threads=1))


def search_session(assistant: Assistant, text: str = SOURCE) -> SearchFixSession:
    start = text.index(NEEDLE)
    session = assistant.fix_session(FixRequest(
        text=text, start=start, end=start + len(NEEDLE), language_id="python", path="avg.py",
        problems=(Problem('"value" is not defined', start, start + len(NEEDLE), "pyright"),)))
    assert isinstance(session, SearchFixSession)
    return session


def run(session: SearchFixSession, should_yield_every: int = 0) -> tuple[FixResult, int]:
    """Advance to the end (giving way every N polls, as when completions keep arriving);
    the result and the number of steps."""
    polls = [0]

    def should_yield() -> bool:
        polls[0] += 1
        return should_yield_every > 0 and polls[0] % should_yield_every == 0

    steps = 1
    while not session.advance(CancelToken(), should_yield):
        steps += 1
    return session.result(), steps


def test_base_models_on_local_engines_search_by_default(engine: Engine) -> None:
    assert not engine.info.chat_template and can_search(engine)
    assert Assistant(engine, Settings(threads=1)).searches_fixes
    assert not Assistant(engine, Settings(threads=1, fix_method="rewrite")).searches_fixes


def test_the_search_reads_the_code_and_proposes_one_line_that_parses(
        assistant: Assistant) -> None:
    session = search_session(assistant)
    result, _ = run(session)
    stats = session.search.stats
    assert session.search.context.startswith("# avg.py\nimport math\n")  # fix.toml [search]
    assert stats.tokens_read > 20 and stats.places > 0 and stats.candidates > 0
    # Whatever the random model prefers: within the function, one line, parsing as well as
    # before, never a line turned into a comment.
    assert all(c.errors == 0 for c in session.search.candidates)
    assert all(not c.text.lstrip().startswith("#") for c in session.search.candidates)
    assert stats.structural > 0 and stats.scored > 0
    assert result.reason in ("ok", "unchanged"), result.message
    if result.ok:
        fixed = regions.apply_edits(SOURCE, list(result.edits))
        changed = [(a, b) for a, b in zip(SOURCE.split("\n"), fixed.split("\n"), strict=True)
                   if a != b]
        assert len(changed) == 1 and changed[0][0].startswith("    ")
        assert syntax.count_errors(fixed, "python") == 0
        assert "(line " in result.message


def test_giving_way_to_completions_does_not_change_the_fix(assistant: Assistant) -> None:
    straight, steps = run(search_session(assistant))
    interrupted, interrupted_steps = run(search_session(assistant), should_yield_every=3)
    assert interrupted_steps > steps
    assert (interrupted.reason, interrupted.edits) == (straight.reason, straight.edits)


def test_a_fix_finishes_while_completions_keep_arriving(assistant: Assistant) -> None:
    """A completion always waiting: the search still moves on, a step every few turns."""
    straight, steps = run(search_session(assistant))
    crowded, crowded_steps = run(search_session(assistant), should_yield_every=1)
    assert crowded_steps > steps
    assert (crowded.reason, crowded.edits) == (straight.reason, straight.edits)


def test_a_cancelled_search_stops_and_says_so(assistant: Assistant) -> None:
    session = search_session(assistant)
    cancel = CancelToken()
    cancel.cancel()
    assert session.advance(cancel)
    assert session.result().reason == "cancelled"
    assert session.search.stats.tokens_read == 0


def test_code_too_long_for_the_context_is_left_alone(tmp_path: Path) -> None:
    small = write_tiny_gguf(tmp_path / "small.gguf", context_length=256)
    engine = load_engine(Settings(model_path=str(small), threads=1, context_size=256))
    try:
        assistant = Assistant(engine, Settings(model_path=str(small), threads=1,
                                               context_size=256))
        huge = "def f():\n    return [" + ", ".join(map(str, range(300))) + "]\n"
        session = assistant.fix_session(FixRequest(huge, 20, 20, "python"))
        assert isinstance(session, SearchFixSession)
        result, _ = run(session)
        assert result.reason == "unchanged" and not result.edits
    finally:
        engine.close()


def test_respacing_a_line_is_never_proposed(assistant: Assistant) -> None:
    session = search_session(assistant)
    run(session)
    search = session.search
    for found in search.candidates:
        old = search.lines[found.line]
        new = regions.split_lines(search.new_region_text(found))[found.line]
        assert new.split() != old.split() or "\n" in found.text
        assert edit_price(old, new) > 0 or "\n" in found.text


TO_BASE = """def to_base(num, b):
    result = ''
    while num > 0:
        i = num % b
        num = num // b
        result = result + str(i)
    return result
"""


def test_edits_that_break_the_names_around_them_are_never_proposed(engine: Engine) -> None:
    region = regions.function_region(TO_BASE, "python", 4)
    assert region is not None
    search = EditSearch(engine, TO_BASE, "python", region, [], 0, "")  # type: ignore[arg-type]
    lines = search.lines
    assert lines[3] == "        i = num % b" and lines[5].startswith("        result")
    # The fix, and edits that keep every name resolvable, pass.
    assert search._keeps_names(5, lines[5], "        result = str(i) + result")
    assert search._keeps_names(3, lines[3], "        i = num % (b + 1)")
    assert search._keeps_names(3, lines[3], "        i = abs(num) % b")  # a builtin
    # A name the file has nowhere, an attribute it never uses, a binding still needed: not.
    assert not search._keeps_names(5, lines[5], "        result = result + str(j)")
    assert not search._keeps_names(5, lines[5], "        result = result.digits")
    assert not search._keeps_names(3, lines[3], "        result = num % b")
