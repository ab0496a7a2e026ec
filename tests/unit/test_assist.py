"""Fix and explanation sessions on the tiny real GGUF model: reading answers into minimal edits,
refusing bad ones, and giving way to other work without changing the result."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server import regions
from lsp_server.assist import (
    Assistant,
    ExplainRequest,
    FixRequest,
    FixResult,
    FixSession,
    Problem,
)
from lsp_server.assist.explain import _tidy
from lsp_server.config import Settings
from lsp_server.engines.base import CancelToken, Engine
from lsp_server.models import load_engine
from tests.tiny_gguf import write_tiny_gguf
from tests.unit.conftest import AVERAGE_SOURCE as SOURCE

FIXED_LINE = "    return total / len(values)"


@pytest.fixture
def assistant(engine: Engine) -> Assistant:
    """Fixes the model writes (``search`` has its own tests: test_fix_search.py)."""
    return Assistant(engine, Settings(model_path=engine.info.path, threads=1,
                                      fix_method="rewrite"))


def rewrite_session(assistant: Assistant, request: FixRequest) -> FixSession:
    session = assistant.fix_session(request)
    assert isinstance(session, FixSession)
    return session


def problem_session(assistant: Assistant, text: str = SOURCE, needle: str = "len(value)",
                    message: str = '"value" is not defined') -> FixSession:
    start = text.index(needle)
    request = FixRequest(text=text, start=start, end=start + len(needle), language_id="python",
                         path="avg.py", problems=(Problem(message, start, start + len(needle),
                                                          "pyright"),))
    session = rewrite_session(assistant, request)
    session.prepare()
    return session


def answer(session: FixSession, generated: str, stop_reason: str = "stop") -> FixResult:
    """The result for a model that wrote ``generated`` after the prompt."""
    session.state.text = generated
    session.state.stop_reason = stop_reason
    return session.result()


def fixed_text(result: FixResult) -> str:
    return regions.apply_edits(SOURCE, list(result.edits))


def test_line_mode_starts_the_answer_at_the_problem(assistant: Assistant) -> None:
    session = problem_session(assistant)
    assert session.region.kind == "function" and session.region.name == "average"
    assert session.kept == SOURCE.split("\n")[3:7]  # def .. total += v
    assert session.rendered is not None
    assert session.rendered.prompt.parts[-1] == ("".join(f"{x}\n" for x in session.kept), False)
    assert '"value" is not defined' in session.rendered.prompt.text


def test_a_changed_line_then_the_end_of_the_function_is_one_small_edit(
        assistant: Assistant) -> None:
    session = problem_session(assistant)
    result = answer(session, f"{FIXED_LINE}\n\n\nprint(")
    assert result.ok, result.message
    assert result.edits == (regions.Replacement(SOURCE.index("len(value)") + 9,
                                         SOURCE.index("len(value)") + 9, "s"),)
    assert fixed_text(result) == SOURCE.replace("len(value)", "len(values)")


def test_an_answer_back_in_step_with_the_original_ends_the_change(
        assistant: Assistant) -> None:
    text = SOURCE.replace("    for v in values:", "    for v in value:")
    session = problem_session(assistant, text, "value:", "value is not defined")
    # The model fixes the loop, then copies two lines: the rest is the original's.
    generated = "    for v in values:\n        total += v\n    return total / len(value)\n"
    assert not session.complete(generated[:-30])
    assert session.complete(generated)
    result = answer(session, generated + "    ", "stop")
    assert result.ok
    assert regions.apply_edits(text, list(result.edits)) == text.replace(
        "for v in value:", "for v in values:")


def test_copying_the_problem_line_is_no_fix(assistant: Assistant) -> None:
    session = problem_session(assistant)
    assert session.complete("    return total / len(value)\n\n")
    result = answer(session, "    return total / len(value)\n\n")
    assert result.reason == "unchanged" and not result.edits


def test_a_fix_that_breaks_the_syntax_is_refused(assistant: Assistant) -> None:
    session = problem_session(assistant)
    result = answer(session, "    return total / len(values\n\n\n")
    assert result.reason == "syntax" and not result.edits
    assert "syntax" in result.message


def test_an_answer_unlike_the_code_is_refused(assistant: Assistant) -> None:
    start = SOURCE.index("def average")
    request = FixRequest(text=SOURCE, start=start, end=start, language_id="python",
                         problems=(Problem("returns wrong results", start, start + 3),))
    session = rewrite_session(assistant, request)
    session.prepare()
    assert session.kept == []  # a problem on the signature: the whole function is rewritten
    result = answer(session, "# see https://example.com/average\n\n\n")
    assert result.reason == "unrelated"


def test_a_drifting_base_model_keeps_only_its_changed_line(assistant: Assistant) -> None:
    session = problem_session(assistant)
    assert session.drifts  # the tiny model has no chat template: completion style
    drift = f"{FIXED_LINE}\n    x = 1\n    y = 2\n    z = 3\n    w"
    assert session.complete(drift)
    result = answer(session, drift)
    assert result.ok and fixed_text(result) == SOURCE.replace("len(value)", "len(values)")


def test_an_answer_cut_off_before_the_end_is_incomplete(assistant: Assistant) -> None:
    start = SOURCE.index("def average")
    session = rewrite_session(assistant, FixRequest(text=SOURCE, start=start, end=start,
                                               language_id="python"))
    session.prepare()
    assert session.kept == ["def average(values):"]  # no hint: the signature stays
    result = answer(session, "    total = 1\n    for v in", "length")
    assert result.reason == "incomplete"


def test_chat_answers_are_unfenced_and_reindented(assistant: Assistant) -> None:
    text = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        pass\n"
    start = text.index("return 1")
    session = rewrite_session(assistant, FixRequest(
        text=text, start=start, end=start, language_id="python",
        problems=(Problem("should return 2", text.index("def f"), text.index("def f") + 3),)))
    session.prepare()
    # As an instruction model answers: dedented, in a fence, then a remark.
    result = answer(session, "```python\ndef f(self):\n    return 2\n```\nThis returns 2.", "eos")
    assert result.ok
    assert regions.apply_edits(text, list(result.edits)) == text.replace("return 1", "return 2")


def run_with_interruptions(session: FixSession, every: int) -> int:
    """Advance like the server does when a completion keeps arriving: give way every
    ``every`` tokens. Returns the number of steps."""
    calls = [0]

    def should_yield() -> bool:
        calls[0] += 1
        return calls[0] % every == 0

    steps = 1
    while not session.advance(CancelToken(), should_yield):
        steps += 1
    return steps


def test_giving_way_to_other_work_does_not_change_the_answer(assistant: Assistant) -> None:
    start = SOURCE.index("def average")
    settings = Settings(model_path=assistant.engine.info.path, threads=1, fix_max_tokens=60,
                        fix_method="rewrite")
    patient = Assistant(assistant.engine, settings)
    request = FixRequest(text=SOURCE, start=start, end=start, language_id="python")
    straight = rewrite_session(patient, request)
    while not straight.advance(CancelToken()):
        pass
    interrupted = rewrite_session(patient, request)
    assert run_with_interruptions(interrupted, every=7) > 3
    # Each step resumes from the text so far (batched evaluation of a resumed prompt may round
    # differently from token-by-token, so only the first step is compared exactly).
    assert interrupted.state.text[:7] == straight.state.text[:7]
    assert interrupted.state.tokens == straight.state.tokens == session_budget(straight)
    assert interrupted.result().reason == straight.result().reason


def session_budget(session: FixSession) -> int:
    return session.max_tokens


def test_a_cancelled_session_stops_and_says_so(assistant: Assistant) -> None:
    session = rewrite_session(assistant, FixRequest(text=SOURCE, start=0, end=0,
                                               language_id="python"))
    cancel = CancelToken()
    cancel.cancel()
    assert session.advance(cancel)
    result = session.result()
    assert result.reason == "cancelled" and not result.edits


def test_explanations_have_a_title_and_the_models_text(assistant: Assistant) -> None:
    start = SOURCE.index("total += v")
    result = assistant.explain(ExplainRequest(SOURCE, start, start, "python", "avg.py", "ja"),
                               CancelToken())
    assert result.region.kind == "function" and result.region.name == "average"
    title, _, body = result.markdown.partition("\n\n")
    assert title == "**説明: `average` (avg.py 4–8)**"
    assert body.startswith("この関数は")
    assert result.generation is not None and result.generation.generated_tokens > 0


def test_explaining_a_selection(assistant: Assistant) -> None:
    start, end = SOURCE.index("    for v"), SOURCE.index("    return")
    result = assistant.explain(ExplainRequest(SOURCE, start, end, "python", "avg.py"),
                               CancelToken())
    assert result.region.kind == "selection"
    assert result.region.text(SOURCE) == "    for v in values:\n        total += v"
    assert result.markdown.startswith("**Explanation: avg.py 6–7**\n\nThis code")


def test_repetition_is_cut_from_explanations() -> None:
    text = ("This function adds numbers.\nIt returns the total of the list.\n\n"
            "It returns the total of the list.\nIt returns the total of the list.\n")
    assert _tidy(text) == "This function adds numbers.\nIt returns the total of the list."


def test_sessions_need_a_model_that_fits(tmp_path: Path) -> None:
    small = write_tiny_gguf(tmp_path / "small.gguf", context_length=256)
    engine = load_engine(Settings(model_path=str(small), threads=1, context_size=256))
    try:
        assistant = Assistant(engine, Settings(model_path=str(small), threads=1,
                                               context_size=256, fix_method="rewrite"))
        # A long function is narrowed to the statement at the cursor...
        big = "def big():\n" + "".join(f"    x{i} = {i} * {i}\n" for i in range(200))
        at = big.index("x7 =")
        session = rewrite_session(assistant, FixRequest(big, at, at, "python"))
        session.prepare()
        assert session.early_result is None
        assert session.region.kind == "block" and session.region.text(big) == "    x7 = 7 * 7"
        # ...but one statement too long for the context cannot be fixed.
        huge = "def f():\n    return [" + ", ".join(map(str, range(300))) + "]\n"
        session = rewrite_session(assistant, FixRequest(huge, 20, 20, "python"))
        while not session.advance(CancelToken()):
            pass
        assert session.result().reason == "too-long"
    finally:
        engine.close()
