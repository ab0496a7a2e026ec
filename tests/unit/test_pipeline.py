"""The completion spine without pygls, on the tiny real GGUF model: when it declines at once,
what a suggestion carries, the time budget, and explored alternatives post-processed by the
pipeline itself."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from lsp_server.config import Settings
from lsp_server.context import line_starts_of
from lsp_server.engines.base import CancelToken, Engine
from lsp_server.pipeline import CompletionPipeline, CompletionRequest
from lsp_server.prompts import choose_completion_template, completion_templates


@pytest.fixture
def pipeline(engine: Engine, tiny_model: Path) -> CompletionPipeline:
    template = choose_completion_template(completion_templates(), engine.info, engine)
    settings = Settings(model_path=str(tiny_model), threads=1, max_tokens=8)
    return CompletionPipeline(engine, template, settings)


def ask(text: str, offset: int | None = None, language_id: str = "plaintext",
        path: str = "a.txt", invoked: bool = False) -> CompletionRequest:
    return CompletionRequest(uri=f"file:///{path}", text=text,
                             offset=len(text) if offset is None else offset,
                             line_starts=line_starts_of(text), language_id=language_id,
                             path=path, invoked=invoked)


def test_a_suggestion_carries_its_prompt_generation_and_timings(
        pipeline: CompletionPipeline) -> None:
    result = pipeline.complete(ask("total = "), CancelToken())
    assert result.reason == "ok" and result.text and "\n" not in result.text
    assert result.prompt is not None and result.prompt.text.endswith("total = ")
    assert result.generation is not None and result.generation.generated_tokens > 0
    assert 0 < result.context_ms <= result.total_ms


def test_declines_without_generating(pipeline: CompletionPipeline) -> None:
    mid_word = pipeline.complete(ask("value = 1\n", offset=3), CancelToken())
    assert mid_word.reason == "mid-word" and mid_word.generation is None
    pipeline.settings = replace(pipeline.settings, exclude=("*.txt",))
    excluded = pipeline.complete(ask("x = "), CancelToken())
    assert excluded.reason == "excluded" and excluded.prompt is None


def test_a_stopped_request_says_so(pipeline: CompletionPipeline) -> None:
    cancel = CancelToken()
    cancel.cancel()
    assert pipeline.complete(ask("x = "), cancel).reason == "cancelled"
    late = pipeline.complete(ask("x = "), CancelToken(time.monotonic() - 1))
    assert late.text == "" and late.generation is not None
    assert late.generation.stop_reason == "deadline"  # past the time budget: nothing shown


def test_explored_alternatives_are_post_processed_like_the_first(
        pipeline: CompletionPipeline) -> None:
    pipeline.settings = replace(pipeline.settings, suggestion_search="always")
    text = "def area(width, height):\n    return "
    result = pipeline.complete(ask(text + "\n", len(text), "python", "area.py"), CancelToken())
    considered = result.considered
    assert considered is not None and considered.explored
    assert len(considered.candidates) > 1
    # Single-line plan: every candidate was cut at its first line by postprocess.finish.
    assert all("\n" not in c.text for c in considered.candidates)
