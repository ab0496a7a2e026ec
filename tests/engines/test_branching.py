"""The optional branching capability, on the real llama.cpp engine and a tiny real GGUF."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.config import Settings
from lsp_server.engines.base import BranchingEngine, CancelToken, GenerationParams, Prompt
from lsp_server.engines.llama_cpp import LlamaCppEngine
from lsp_server.models import load_engine

PROMPT = Prompt.plain("def add(a, b):\n    return a + b\n\nprint(add(1, 2))\nvalue = ")


@pytest.fixture
def engine(tiny_model: Path) -> Iterator[LlamaCppEngine]:
    loaded = load_engine(Settings(model_path=str(tiny_model), threads=1, context_size=2048))
    assert isinstance(loaded, LlamaCppEngine)
    yield loaded
    loaded.close()


def test_llama_cpp_can_branch_ctransformers_cannot(engine: LlamaCppEngine,
                                                    tiny_model: Path) -> None:
    assert isinstance(engine, BranchingEngine)
    legacy = load_engine(Settings(engine="ctransformers", model_path=str(tiny_model), threads=1))
    try:
        assert not isinstance(legacy, BranchingEngine)
    finally:
        legacy.close()


def test_explore_branches_on_distinct_first_tokens_and_the_first_is_greedy(
        engine: LlamaCppEngine) -> None:
    params = GenerationParams(max_tokens=6)
    greedy = engine.generate(PROMPT, params, CancelToken())
    found = engine.explore(PROMPT, params, ["", "xy"], 3, CancelToken())
    texts = [g.text for g in found]
    assert len(texts) == 6  # 3 branches of the model's own start, 3 of the forced one
    assert texts[0] == greedy.text  # the likeliest first token, continued greedily
    assert len({t[:1] for t in texts[:3]}) == 3  # each begins differently
    assert all(t.startswith("xy") for t in texts[3:]) and len({t[2:3] for t in texts[3:]}) == 3
    assert len(engine.explore(PROMPT, params, ["", "a", "b"], 8, CancelToken())) == 8
    assert all(g.stop_reason == "length" for g in found)
    # The main sequence is intact: generating again reuses the prompt from the cache.
    again = engine.generate(PROMPT, params, CancelToken())
    assert again.text == greedy.text and again.reused_tokens >= again.prompt_tokens - 2


def test_logprobs_agree_with_or_without_explored_branches(engine: LlamaCppEngine) -> None:
    params = GenerationParams(max_tokens=5)
    found = engine.explore(PROMPT, params, [""], 3, CancelToken())
    texts = [g.text + " end" for g in found] + ["something else"]
    reused = engine.logprobs(PROMPT, texts, False, CancelToken())
    fresh = engine.logprobs(PROMPT, texts, False, CancelToken())  # branches are gone by now
    assert all(v is not None for v in reused + fresh)
    for a, b in zip(reused, fresh, strict=True):
        assert a is not None and b is not None
        assert a < 0 and math.isclose(a, b, abs_tol=0.05)
    # The greedy continuation is the most likely of the explored ones.
    assert reused[0] is not None and all(
        v is not None and reused[0] >= v for v in reused[1:3])


def test_a_passed_deadline_stops_exploring(engine: LlamaCppEngine) -> None:
    expired = CancelToken(deadline=0.0)
    assert engine.explore(PROMPT, GenerationParams(max_tokens=50), [""], 4, expired) == []
