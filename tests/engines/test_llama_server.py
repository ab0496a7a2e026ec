"""The HTTP engine against llama.cpp's own llama-server (built from the llama.cpp inside
llama-cpp-python's sdist) over loopback: detection through /props and /tokenize, /infill with
the other files as input_extra, the fallback to /completion where the model has no FIM
tokens, cancelling on a keystroke, a server that restarts, dies or takes too long, an API key."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lsp_server.config import Settings
from lsp_server.context import line_starts_of
from lsp_server.engines.base import CancelToken, EngineError, GenerationParams, Prompt
from lsp_server.engines.http_transport import ServerError, ServerUnavailable
from lsp_server.engines.openai_http import HttpEngine
from lsp_server.index import WorkspaceIndex
from lsp_server.models import load_engine
from lsp_server.pipeline import CompletionPipeline, CompletionRequest
from lsp_server.prompts import choose_completion_template, completion_templates
from tests.engines.test_repo_fim import AFTER, CART, IMPORT, QWEN, STUB, workspace
from tests.inference_servers import LlamaCppServer, llama_server_binary
from tests.tiny_gguf import write_tiny_gguf

__all__ = ["workspace"]  # the same small repository as the FIM layout tests


@pytest.fixture(scope="module")
def fim_model(model_dir: Path) -> Path:
    """A Qwen2-architecture tiny model with Qwen2.5-Coder's FIM and repository tokens."""
    return write_tiny_gguf(model_dir / "qwen-fim.gguf", architecture="qwen2",
                           extra_special=QWEN)


@pytest.fixture(scope="module")
def fim_server(fim_model: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[LlamaCppServer]:
    llama_server_binary()
    log = tmp_path_factory.mktemp("llama-server") / "fim.log"
    with LlamaCppServer(fim_model, log=log) as server:
        yield server


def http(url: str, **extra: Any) -> Settings:
    return Settings(engine="http", server_url=url, **extra)


def cart_request(root: Path) -> CompletionRequest:
    text = CART + AFTER
    return CompletionRequest(uri=(root / "cart.py").as_uri(), text=text, offset=len(CART),
                             line_starts=line_starts_of(text), language_id="python",
                             path="cart.py", invoked=True)


def test_infill_lays_out_the_other_files_with_the_models_tokens(
        fim_server: LlamaCppServer, workspace: tuple[Path, WorkspaceIndex]) -> None:
    root, index = workspace
    settings = http(fim_server.url, max_tokens=8, prompt_tokens=800)
    engine = load_engine(settings)
    assert isinstance(engine, HttpEngine)
    # Detection: /props says llama.cpp and the context per slot; /tokenize tells the FIM and
    # repository tokens apart from text (there is no FIM flag in /props).
    assert engine.facts.kind == "llama.cpp" and engine.facts.tokenizer == "/tokenize"
    assert engine.facts.context == 4096 and engine.facts.infill
    assert engine.is_special_token("<|file_sep|>") and not engine.is_special_token("file")
    assert engine.info.architecture == "qwen2"  # the server does not say; the name does
    template = choose_completion_template(completion_templates(), engine.info, engine)
    assert template.family == "qwen2.5-coder"

    result = CompletionPipeline(engine, template, settings, index).complete(
        cart_request(root), CancelToken())
    assert result.generation is not None and result.generation.generated_tokens > 0
    assert result.prompt is not None
    prefix, suffix = result.prompt.field("prefix"), result.prompt.field("suffix")
    # The server built the repository-level prompt from input_extra: its repository and
    # file-separator tokens, the other file, then this file's context, prefix and suffix.
    slot = fim_server.get("/slots")[0]
    assert slot["prompt"] == (
        f"<|repo_name|>myproject\n<|file_sep|>pricing.py\n{STUB}<|file_sep|>filename\n"
        f"<s><|fim_prefix|>{IMPORT}{prefix}<|fim_suffix|>{suffix}<|fim_middle|>")


def test_input_extra_that_does_not_fit_leaves_out_whole_files(
        fim_server: LlamaCppServer, caplog: pytest.LogCaptureFixture) -> None:
    engine = load_engine(http(fim_server.url, max_tokens=4))
    assert isinstance(engine, HttpEngine)
    template = choose_completion_template(completion_templates(), engine.info, engine)
    huge = "".join(f"ITEM_{n} = {n}\n" for n in range(2000))  # ~25,000 tokens
    prompt = template.render_files(
        [("generated.py", huge), ("pricing.py", STUB)],
        {"repo": "shop", "path": "cart.py", "context": "", "prefix": "x = ", "suffix": "\n"})
    with caplog.at_level(logging.WARNING):
        generation = engine.generate(prompt, GenerationParams(max_tokens=4), CancelToken())
    assert generation.generated_tokens == 4
    built = fim_server.get("/slots")[0]["prompt"]
    assert "<|file_sep|>pricing.py\n" in built and "ITEM_1999" not in built
    assert built.startswith("<|repo_name|>myproject\n")  # not cut inside a file
    assert any("1 file(s) do not fit" in r.message and "hearth.promptTokens" in r.message
               for r in caplog.records)


def test_with_infill_turned_off_the_fim_prompt_goes_to_completions_defused(
        fim_server: LlamaCppServer) -> None:
    engine = load_engine(http(fim_server.url, server_api="completions"))
    assert isinstance(engine, HttpEngine) and not engine.facts.infill
    template = choose_completion_template(completion_templates(), engine.info, engine)
    assert template.family == "qwen2.5-coder"
    # A document that itself contains a FIM marker (a prompt file, say) must not steer the model.
    prompt = template.render(repo="r", path="marks.py", prefix='MARK = "<|fim_middle|>"\nx = ',
                             suffix="\n")
    generation = engine.generate(prompt, GenerationParams(max_tokens=4), CancelToken())
    assert generation.generated_tokens == 4
    assert fim_server.get("/slots")[0]["prompt"] == (
        '<s><|repo_name|>r\n<|file_sep|>marks.py\n<|fim_prefix|>MARK = "<\u200b|fim_middle|>"\n'
        "x = <|fim_suffix|>\n<|fim_middle|>")


def test_a_model_without_fim_tokens_falls_back_to_completions(
        embedded_model: Path, tmp_path: Path) -> None:
    with LlamaCppServer(embedded_model, log=tmp_path / "gemma.log") as server:
        engine = load_engine(http(server.url, max_tokens=8))
        assert isinstance(engine, HttpEngine)
        assert engine.facts.kind == "llama.cpp" and not engine.facts.infill
        assert "Infill is not supported by this model" in engine.facts.infill_note
        assert engine.info.metadata["server.api"] == "completions"
        template = choose_completion_template(completion_templates(), engine.info, engine)
        assert template.family == "base"
        generation = engine.generate(template.render(prefix="def add(a, b):\n    return "),
                                     GenerationParams(max_tokens=8), CancelToken())
        assert generation.text.strip() and generation.prompt_tokens > 5
        assert server.get("/slots")[0]["prompt"] == "<bos>def add(a, b):\n    return "
        with pytest.raises(EngineError, match=r"serverApi is infill.*not supported"):
            load_engine(http(server.url, server_api="infill"))


def test_a_keystroke_closes_the_stream_and_the_slot_goes_idle(
        endless_model: Path) -> None:
    with LlamaCppServer(endless_model, context=32768) as server:
        engine = load_engine(http(server.url))
        cancel = CancelToken()
        streaming = threading.Event()
        results: list[Any] = []

        def watch(text: str) -> bool:
            if len(text) > 20:
                streaming.set()
            return False

        runner = threading.Thread(target=lambda: results.append(engine.generate(
            Prompt.plain("x = "), GenerationParams(max_tokens=30000, stop_when=watch), cancel)))
        runner.start()
        assert streaming.wait(30), "the server never streamed"
        assert server.slots_busy() == [True]
        cancel.cancel()
        runner.join(5)
        assert not runner.is_alive() and results[0].stop_reason == "cancelled"
        # The server saw the stream close and stopped: 30,000 tokens would keep it busy.
        assert server.wait_slots_idle(5), server.last_lines()
        assert server.established_connections() == 0


def test_the_next_keystroke_waits_for_its_own_warm_slot(endless_model: Path) -> None:
    """With several slots, a request sent while the cancelled one still occupies its slot
    would get an idle slot with a cold cache; hearth pins the slot that holds its prompt."""
    with LlamaCppServer(endless_model, context=4 * 4096, slots=4) as server:
        engine = load_engine(http(server.url))
        assert isinstance(engine, HttpEngine)
        code = "".join(f"value_{n} = compute({n})\n" for n in range(12))
        first = engine.generate(Prompt.plain(code), GenerationParams(max_tokens=4),
                                CancelToken())
        assert first.generated_tokens == 4
        busy, streaming = CancelToken(), threading.Event()
        results: list[Any] = []

        def watch(text: str) -> bool:
            if len(text) > 10:
                streaming.set()
            return False

        long = threading.Thread(target=lambda: engine.generate(
            Prompt.plain(code + "a"), GenerationParams(max_tokens=30000, stop_when=watch), busy))
        long.start()
        assert streaming.wait(30)
        # The next keystroke's request arrives while the slot is still generating...
        nxt = threading.Thread(target=lambda: results.append(engine.generate(
            Prompt.plain(code + "ab"), GenerationParams(max_tokens=4), CancelToken())))
        nxt.start()
        time.sleep(0.3)
        assert not results, "it did not wait for its slot"
        busy.cancel()  # ...and the keystroke cancels the one before
        long.join(10)
        nxt.join(30)
        # It ran in the same slot, on the prompt already in its cache.
        assert results and results[0].generated_tokens == 4
        assert results[0].reused_tokens >= first.prompt_tokens - 2
        assert sum(server.slots_busy()) == 0


def test_too_slow_stops_at_the_deadline_and_the_server_stops_too(endless_model: Path) -> None:
    with LlamaCppServer(endless_model, context=32768) as server:
        engine = load_engine(http(server.url))
        started = time.monotonic()
        generation = engine.generate(Prompt.plain("y = "), GenerationParams(max_tokens=30000),
                                     CancelToken(time.monotonic() + 0.5))
        assert generation.stop_reason == "deadline" and time.monotonic() - started < 2
        assert server.wait_slots_idle(5)


def test_a_restarted_server_is_picked_up(fim_model: Path) -> None:
    server = LlamaCppServer(fim_model).start()
    port = server.port
    try:
        engine = load_engine(http(server.url, max_tokens=3))
        assert engine.generate(Prompt.plain("x"), GenerationParams(max_tokens=3),
                               CancelToken()).generated_tokens == 3
    finally:
        server.stop()
    with pytest.raises(ServerUnavailable, match="connection refused"):
        engine.generate(Prompt.plain("x"), GenerationParams(max_tokens=3), CancelToken())
    with LlamaCppServer(fim_model, port=port):  # back on the same port: the same engine works
        generation = engine.generate(Prompt.plain("x"), GenerationParams(max_tokens=3),
                                     CancelToken())
    assert generation.generated_tokens == 3


def test_a_server_that_dies_mid_stream(endless_model: Path) -> None:
    server = LlamaCppServer(endless_model, context=32768).start()
    try:
        engine = load_engine(http(server.url))

        def kill_when_streaming(text: str) -> bool:
            if len(text) > 20 and server.process is not None and server.process.poll() is None:
                os.kill(server.pid, signal.SIGKILL)
            return False

        started = time.monotonic()
        with pytest.raises(ServerUnavailable,
                           match="ended its reply to /completion before finishing"):
            engine.generate(Prompt.plain("z = "), GenerationParams(
                max_tokens=30000, stop_when=kill_when_streaming), CancelToken())
        assert time.monotonic() - started < 10
    finally:
        server.stop()


def test_api_key_from_the_environment(fim_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with LlamaCppServer(fim_model, api_key="team-key-1") as server:
        monkeypatch.setenv("HEARTH_TEAM_KEY", "team-key-1")
        engine = load_engine(http(server.url, api_key_env="HEARTH_TEAM_KEY"))
        assert isinstance(engine, HttpEngine) and engine.facts.infill
        assert engine.generate(Prompt.plain("x"), GenerationParams(max_tokens=2),
                               CancelToken()).generated_tokens == 2
        monkeypatch.setenv("HEARTH_TEAM_KEY", "wrong")
        with pytest.raises(ServerError, match=r"refused access \(401.*check the token"):
            load_engine(http(server.url, api_key_env="HEARTH_TEAM_KEY"))
        with pytest.raises(ServerError, match=r"needs a token.*hearth\.apiKeyEnv"):
            load_engine(http(server.url))
        monkeypatch.delenv("HEARTH_TEAM_KEY")
        with pytest.raises(EngineError, match=r"HEARTH_TEAM_KEY.*not set"):
            load_engine(http(server.url, api_key_env="HEARTH_TEAM_KEY"))
