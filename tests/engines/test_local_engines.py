"""Both local engines, for real, on GGUF files the tests write (milliseconds per test)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.config import Settings
from lsp_server.engines.base import CancelToken, Engine, EngineError, GenerationParams, Prompt
from lsp_server.models import load_engine
from tests.tiny_gguf import write_tiny_gguf

ENGINES = ["llama_cpp", "ctransformers"]
PROMPT = Prompt.plain("def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n")


def open_engine(name: str, path: Path, context_size: int = 4096) -> Engine:
    return load_engine(Settings(engine=name, model_path=str(path), threads=1,  # type: ignore[arg-type]
                                context_size=context_size))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tiny_model: Path) -> Iterator[Engine]:
    loaded = open_engine(request.param, tiny_model)
    yield loaded
    loaded.close()


def generate(engine: Engine, prompt: Prompt = PROMPT, **params: object) -> str:
    return engine.generate(prompt, GenerationParams(**params), CancelToken()).text  # type: ignore[arg-type]


def test_model_info(engine: Engine, tiny_model: Path) -> None:
    assert engine.info.architecture == "llama"
    assert engine.info.name == "hearth tiny test model"
    assert engine.info.file_size == tiny_model.stat().st_size
    assert engine.count_tokens("abc") == 3 + (engine.info.engine == "ctransformers")


def test_greedy_generation_is_deterministic(engine: Engine) -> None:
    first = engine.generate(PROMPT, GenerationParams(max_tokens=24), CancelToken())
    assert first.stop_reason == "length" and first.generated_tokens == 24
    assert first.text and first.text == generate(engine, max_tokens=24)


def test_prefix_is_reused_from_the_kv_cache(engine: Engine) -> None:
    cold = engine.generate(PROMPT, GenerationParams(max_tokens=4), CancelToken())
    typed = Prompt.plain(PROMPT.text + "x")
    warm = engine.generate(typed, GenerationParams(max_tokens=4), CancelToken())
    assert cold.prompt_tokens > 10
    assert warm.reused_tokens >= cold.prompt_tokens - 1
    # And the output is what a cold engine would produce for the same prompt.
    fresh = open_engine(engine.info.engine, Path(engine.info.path))
    assert fresh.generate(typed, GenerationParams(max_tokens=4), CancelToken()).text == warm.text
    fresh.close()


def test_stop_sequence_cuts_and_reports(engine: Engine) -> None:
    full = generate(engine, max_tokens=40)
    stop = full[10:13]
    assert stop and stop in full
    result = engine.generate(PROMPT, GenerationParams(max_tokens=40, stop=(stop,)), CancelToken())
    assert result.stop_reason == "stop"
    assert result.text == full[: full.index(stop)]


def test_stop_when_callback(engine: Engine) -> None:
    result = engine.generate(
        PROMPT, GenerationParams(max_tokens=40, stop_when=lambda text: len(text) >= 5),
        CancelToken())
    assert result.stop_reason == "stop" and len(result.text) == 5


def test_unicode_prompt_and_output(engine: Engine) -> None:
    prompt = Prompt.plain("名前 = '😀'  # コメント\n")
    text = generate(engine, prompt, max_tokens=30)
    assert isinstance(text, str) and len(text) > 0
    text.encode("utf-8")  # valid: no lone surrogates


def test_token_healing_forces_the_removed_text(engine: Engine) -> None:
    prompt = Prompt.plain(PROMPT.text + "x = ")
    plain = generate(engine, prompt, max_tokens=12)
    healed = engine.generate(prompt, GenerationParams(max_tokens=12, heal=True), CancelToken())
    # The tiny vocabulary has single characters only: the healed first token must be " " again,
    # after which greedy decoding continues exactly as from the unhealed prompt.
    assert healed.text == plain[: len(healed.text)]
    assert len(healed.text) >= 10


def test_cancel_from_another_thread_stops_within_a_token(endless_model: Path) -> None:
    for name in ENGINES:
        engine = open_engine(name, endless_model, context_size=32768)
        cancel = CancelToken()
        threading.Timer(0.2, cancel.cancel).start()
        result = engine.generate(PROMPT, GenerationParams(max_tokens=30000), cancel)
        stopped = time.monotonic()
        assert result.stop_reason == "cancelled", name
        assert 0 < result.generated_tokens < 30000
        assert cancel.cancelled_at is not None and stopped - cancel.cancelled_at < 0.25
        engine.close()


def test_deadline_stops_generation(endless_model: Path) -> None:
    engine = open_engine("llama_cpp", endless_model, context_size=32768)
    start = time.monotonic()
    result = engine.generate(PROMPT, GenerationParams(max_tokens=30000),
                             CancelToken(deadline=start + 0.3))
    assert result.stop_reason == "deadline"
    assert time.monotonic() - start < 1.5
    engine.close()


def test_prompt_longer_than_context_is_refused(tiny_model: Path) -> None:
    engine = open_engine("llama_cpp", tiny_model, context_size=256)
    result = engine.generate(Prompt.plain("x" * 400), GenerationParams(max_tokens=8), CancelToken())
    assert result.stop_reason == "context" and result.text == ""
    engine.close()


def test_markup_parts_only_are_special_tokens(tmp_path: Path) -> None:
    markers = ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>")
    path = write_tiny_gguf(tmp_path / "fim.gguf", extra_special=markers)
    engine = open_engine("llama_cpp", path)
    assert all(engine.is_special_token(m) for m in markers)
    assert not engine.is_special_token("<|fim_prefix|>")
    as_markup = engine.generate(Prompt(((markers[0], True),)), GenerationParams(max_tokens=1),
                                CancelToken())
    as_text = engine.generate(Prompt(((markers[0], False),)), GenerationParams(max_tokens=1),
                              CancelToken())
    assert as_markup.prompt_tokens == 2  # BOS + the marker
    assert as_text.prompt_tokens > 5  # document text is never parsed as control tokens
    engine.close()


@pytest.mark.parametrize("name", ENGINES)
def test_missing_and_broken_files_raise_clear_errors(name: str, tmp_path: Path,
                                                      tiny_model: Path) -> None:
    with pytest.raises(EngineError, match="not found"):
        open_engine(name, tmp_path / "nope.gguf")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(tiny_model.read_bytes()[:5000])
    with pytest.raises(EngineError):
        open_engine(name, broken)
    text = tmp_path / "notes.gguf"
    text.write_text("just some text")
    with pytest.raises(EngineError):
        open_engine(name, text)


def test_ctransformers_cannot_run_gemma3(embedded_model: Path) -> None:
    with pytest.raises(EngineError, match="ctransformers could not load"):
        open_engine("ctransformers", embedded_model)
