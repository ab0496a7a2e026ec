"""The pipeline's checks with a real (tiny, random) model: whatever the model writes, a
suggestion never adds a syntax error to the document; failing ones are explored and trimmed."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.config import Settings
from lsp_server.context import line_starts_of
from lsp_server.engines.base import CancelToken
from lsp_server.models import load_engine
from lsp_server.pipeline import CompletionPipeline, CompletionRequest
from lsp_server.prompts import choose_completion_template, completion_templates
from lsp_server.syntax import count_errors

CASES = [
    ("python", "def area(width, height):\n    return ", "\n\nprint(area(2, 3))\n"),
    ("python", "items = [1, 2, 3]\nfor item in items:\n", "\nprint('done')\n"),
    ("python", "class Point:\n    def __init__(self, x, y):\n        self.x = ", "\n"),
    ("javascript", "function add(a, b) {\n  return ", "\n}\n"),
    ("go", "package main\n\nfunc add(a, b int) int {\n\treturn ", "\n}\n"),
    ("rust", "fn add(a: i32, b: i32) -> i32 {\n    ", "\n}\n"),
]


@pytest.fixture(scope="module")
def pipeline(tiny_model: Path) -> CompletionPipeline:
    settings = Settings(model_path=str(tiny_model), threads=1, max_tokens=12)
    engine = load_engine(settings)
    template = choose_completion_template(completion_templates(), engine.info, engine)
    assert not template.fim
    return CompletionPipeline(engine, template, settings)


def test_suggestions_never_add_syntax_errors(pipeline: CompletionPipeline) -> None:
    explored = shown = 0
    for language_id, prefix, suffix in CASES:
        text = prefix + suffix
        request = CompletionRequest(uri="file:///case", text=text, offset=len(prefix),
                                    line_starts=line_starts_of(text), language_id=language_id,
                                    invoked=True)
        result = pipeline.complete(request, CancelToken())
        before = count_errors(text, language_id)
        after = count_errors(prefix + result.text + suffix, language_id)
        assert before is not None and after is not None
        assert after <= before, (language_id, prefix, result.text)
        considered = result.considered
        assert considered is not None and considered.candidates
        explored += considered.explored
        shown += bool(result.text)
    assert explored >= 1  # the random model fails checks, so alternatives were explored
    assert shown >= 1  # and trimming keeps what is valid rather than dropping everything


def test_search_off_takes_the_greedy_suggestion_as_is(pipeline: CompletionPipeline) -> None:
    language_id, prefix, suffix = CASES[0]
    text = prefix + suffix
    request = CompletionRequest(uri="file:///case", text=text, offset=len(prefix),
                                line_starts=line_starts_of(text), language_id=language_id,
                                invoked=True)
    pipeline.settings = Settings(suggestion_search="off", max_tokens=12, threads=1)
    try:
        result = pipeline.complete(request, CancelToken())
    finally:
        pipeline.settings = Settings(max_tokens=12, threads=1)
    assert result.considered is not None and not result.considered.explored
