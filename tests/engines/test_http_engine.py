"""The HTTP engine against llama-cpp-python's real OpenAI-compatible server, and against scripted
servers for what real ones do not do on demand (silence, garbage, Ollama's and vLLM's probes).
llama.cpp's own server is in test_llama_server.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lsp_server.config import Settings
from lsp_server.engines.base import CancelToken, EngineError, GenerationParams, Prompt
from lsp_server.engines.http_transport import BadReply, ServerError, ServerUnavailable
from lsp_server.engines.openai_http import HttpEngine
from lsp_server.models import load_engine
from lsp_server.prompts import choose_completion_template, completion_templates
from tests.inference_servers import (
    LlamaServer,
    StubRequest,
    StubServer,
    completion_chunks,
    free_port,
    openai_models,
    self_signed_certificate,
)

PROMPTS = ["def greet(name):\n    return ", "import os\nx = ", "hello"]


@pytest.fixture(scope="module")
def llama_server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[LlamaServer]:
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with LlamaServer(tiny_model, log=log) as server:
        yield server


@pytest.fixture(scope="module")
def endless_server(endless_model: Path) -> Iterator[LlamaServer]:
    with LlamaServer(endless_model, n_ctx=32768) as server:
        yield server


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    yield server
    server.close()


def http_settings(url: str, **extra: Any) -> Settings:
    return Settings(engine="http", server_url=url, **extra)


def test_probes_the_server_and_its_tokenizer(llama_server: LlamaServer, tiny_model: Path) -> None:
    engine = load_engine(http_settings(llama_server.url + "/v1"))
    assert isinstance(engine, HttpEngine)
    assert engine.facts.kind == "llama-cpp-python"
    assert engine.facts.model == str(tiny_model)
    assert engine.facts.tokenizer == "/extras/tokenize"
    assert not engine.facts.infill
    assert engine.info.engine == "http" and engine.info.name == "tiny"
    assert engine.info.path == llama_server.url
    assert engine.is_special_token("<s>")  # BOS is one control token of the tiny vocabulary
    assert not engine.is_special_token("ab")
    # The tiny vocabulary has one token per character, and the estimate errs on the safe side.
    assert len("hello world") <= engine.count_tokens("hello world") <= 2 * len("hello world")
    template = choose_completion_template(completion_templates(), engine.info, engine)
    assert template.family == "base"


def test_greedy_text_equals_the_local_engine(llama_server: LlamaServer, tiny_model: Path) -> None:
    remote = load_engine(http_settings(llama_server.url))
    local = load_engine(Settings(model_path=str(tiny_model), threads=1))
    try:
        for text in PROMPTS:
            params = GenerationParams(max_tokens=40)
            over_http = remote.generate(Prompt.plain(text), params, CancelToken())
            in_process = local.generate(Prompt.plain(text), params, CancelToken())
            assert over_http.text == in_process.text and len(over_http.text) > 10
            assert over_http.stop_reason == "length"
            assert over_http.generated_tokens == 40
            assert over_http.prompt_tokens > 0
    finally:
        local.close()


def test_stop_sequences_and_stop_condition_end_the_stream(llama_server: LlamaServer) -> None:
    engine = load_engine(http_settings(llama_server.url))
    full = engine.generate(Prompt.plain(PROMPTS[0]), GenerationParams(max_tokens=40),
                           CancelToken()).text
    stop = full[12:14]
    cut = engine.generate(Prompt.plain(PROMPTS[0]), GenerationParams(max_tokens=40, stop=(stop,)),
                          CancelToken())
    assert cut.text == full[:full.index(stop)]
    seen: list[str] = []

    def enough(text: str) -> bool:
        seen.append(text)
        return len(text) >= 5

    early = engine.generate(Prompt.plain(PROMPTS[0]),
                            GenerationParams(max_tokens=40, stop_when=enough), CancelToken())
    assert early.stop_reason == "stop" and early.text == full[:len(early.text)]
    assert 5 <= len(early.text) < 20 and len(seen) < 20


def test_cancel_closes_the_stream_and_the_server_goes_idle(endless_server: LlamaServer) -> None:
    engine = load_engine(http_settings(endless_server.url))
    cancel = CancelToken()
    streaming = threading.Event()

    def watch(text: str) -> bool:
        if len(text) > 20:
            streaming.set()
        return False

    results: list[Any] = []
    runner = threading.Thread(target=lambda: results.append(engine.generate(
        Prompt.plain("x = "), GenerationParams(max_tokens=30000, stop_when=watch), cancel)))
    runner.start()
    assert streaming.wait(30), "the server never streamed"
    assert endless_server.established_connections() == 1
    cancel.cancel()
    runner.join(5)
    assert not runner.is_alive()
    generation = results[0]
    assert generation.stop_reason == "cancelled"
    assert cancel.cancelled_at is not None
    assert 20 < len(generation.text) < 30000
    # The server saw the connection close and stopped generating: 30,000 tokens would keep
    # it busy for many seconds.
    end = time.monotonic() + 5
    while endless_server.established_connections() and time.monotonic() < end:
        time.sleep(0.05)
    assert endless_server.established_connections() == 0
    assert endless_server.wait_idle() < 0.2


def test_deadline_stops_a_silent_server(stub: StubServer) -> None:
    stub.routes["GET /v1/models"] = openai_models()
    release = threading.Event()

    def silent(r: StubRequest) -> None:
        release.wait(30)

    stub.routes["POST /v1/completions"] = silent
    engine = load_engine(http_settings(stub.url))
    start = time.monotonic()
    generation = engine.generate(Prompt.plain("x = "), GenerationParams(),
                                 CancelToken(time.monotonic() + 0.3))
    elapsed = time.monotonic() - start
    release.set()
    assert generation.stop_reason == "deadline" and generation.text == ""
    assert elapsed < 2


def test_read_timeout_on_a_server_that_stops_talking(stub: StubServer) -> None:
    stub.routes["GET /v1/models"] = openai_models()
    release = threading.Event()

    def stall(r: StubRequest) -> None:
        def chunks() -> Iterator[dict[str, Any] | str]:
            yield from completion_chunks(["a", "b"], finish="")
            release.wait(30)

        r.events(chunks())

    stub.routes["POST /v1/completions"] = stall
    engine = load_engine(http_settings(stub.url, server_read_timeout_ms=300))
    start = time.monotonic()
    with pytest.raises(ServerUnavailable, match=r"sent nothing for 0\.3 s"):
        engine.generate(Prompt.plain("x"), GenerationParams(), CancelToken())
    release.set()
    assert time.monotonic() - start < 3


def test_a_server_that_is_down(tmp_path: Path) -> None:
    port = free_port()
    start = time.monotonic()
    with pytest.raises(ServerUnavailable,
                       match=rf"127\.0\.0\.1:{port}: connection refused.*hearth\.serverUrl"):
        load_engine(http_settings(f"http://127.0.0.1:{port}"))
    assert time.monotonic() - start < 3  # a few quick retries, then a clear answer


def test_retries_a_refused_connection_until_the_server_is_up(tiny_model: Path) -> None:
    server = LlamaServer(tiny_model)
    engine_settings = http_settings(server.url)
    with server:
        engine = load_engine(engine_settings)
    with pytest.raises(ServerUnavailable, match="connection refused"):
        engine.generate(Prompt.plain("x"), GenerationParams(max_tokens=2), CancelToken())
    with LlamaServer(tiny_model, port=server.port):  # back: the same engine works again
        generation = engine.generate(Prompt.plain("x"), GenerationParams(max_tokens=2),
                                     CancelToken())
    assert generation.generated_tokens == 2


def test_garbage_replies_are_reported_clearly(stub: StubServer) -> None:
    stub.routes["GET /v1/models"] = lambda r: r.raw(b"<html>It works!</html>", 200, "text/html")
    with pytest.raises(BadReply, match=r"unreadable reply to /v1/models \(text/html"):
        load_engine(http_settings(stub.url))

    stub.routes["GET /v1/models"] = openai_models()
    stub.routes["POST /v1/completions"] = lambda r: r.events(iter(["data: {not json\n\n"]))
    engine = load_engine(http_settings(stub.url))
    with pytest.raises(BadReply, match="unreadable reply to /v1/completions"):
        engine.generate(Prompt.plain("x"), GenerationParams(), CancelToken())

    stub.routes["POST /v1/completions"] = lambda r: r.events(iter(["hello there\n"]))
    with pytest.raises(BadReply, match="hello there"):
        engine.generate(Prompt.plain("x"), GenerationParams(), CancelToken())

    stub.routes["POST /v1/completions"] = lambda r: r.events(iter([{"unexpected": 1}]))
    with pytest.raises(EngineError, match="does not understand"):
        engine.generate(Prompt.plain("x"), GenerationParams(), CancelToken())

    stub.routes["POST /v1/completions"] = lambda r: r.json({"error": "out of memory"}, 500)
    with pytest.raises(ServerError, match="answered 500 to /v1/completions: out of memory"):
        engine.generate(Prompt.plain("x"), GenerationParams(), CancelToken())


def test_unknown_event_stream_fields_are_ignored(stub: StubServer) -> None:
    """The SSE specification: fields other than data (event, id, retry, unknown names, a bare
    name) are ignored; comments too."""
    stub.routes["GET /v1/models"] = openai_models()
    chunk = 'data: {"choices": [{"text": "%s", "finish_reason": %s}]}\n'
    stub.routes["POST /v1/completions"] = lambda r: r.events(iter([
        ": keep-alive\n\n",
        "event: completion\nid: 7\nretry: 3000\nx-vendor-trace: abc\n" + chunk % ("ab", "null")
        + "\n",
        "bare-field\n" + chunk % ("cd", "null") + "data-shard: 1\n\n",
        chunk % ("", '"stop"') + "\n",
        "data: [DONE]\n\n"]))
    engine = load_engine(http_settings(stub.url))
    generation = engine.generate(Prompt.plain("x"), GenerationParams(), CancelToken())
    assert generation.text == "abcd" and generation.stop_reason == "eos"


def test_tls_with_a_ca_bundle_and_a_token_from_the_environment(
        tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = self_signed_certificate(tmp_path)
    with LlamaServer(tiny_model, cert=(cert, key), api_key="s3cret-team-token") as server:
        monkeypatch.setenv("HEARTH_TEST_TOKEN", "s3cret-team-token")
        settings = http_settings(server.url, ca_bundle=str(cert), api_key_env="HEARTH_TEST_TOKEN")
        engine = load_engine(settings)
        generation = engine.generate(Prompt.plain("x"), GenerationParams(max_tokens=3),
                                     CancelToken())
        assert generation.generated_tokens == 3

        with pytest.raises(ServerUnavailable, match=r"does not trust.*hearth\.caBundle"):
            load_engine(http_settings(server.url, api_key_env="HEARTH_TEST_TOKEN"))
        monkeypatch.setenv("HEARTH_TEST_TOKEN", "wrong")
        with pytest.raises(ServerError, match=r"refused access \(401.*check the token"):
            load_engine(settings)
        with pytest.raises(ServerError, match=r"needs a token.*hearth\.apiKeyEnv"):
            load_engine(http_settings(server.url, ca_bundle=str(cert)))
        monkeypatch.delenv("HEARTH_TEST_TOKEN")
        with pytest.raises(EngineError, match=r"HEARTH_TEST_TOKEN.*not set"):
            load_engine(settings)


def test_model_checksum_cannot_be_checked_on_a_server() -> None:
    with pytest.raises(EngineError, match=r"hearth\.modelSha256.*inference server"):
        load_engine(http_settings("http://127.0.0.1:1", model_sha256="0" * 64))


def test_a_server_without_the_endpoints_names_the_setting(stub: StubServer) -> None:
    with pytest.raises(ServerError, match=r"has no /v1/models .*hearth\.serverUrl"):
        load_engine(http_settings(stub.url))  # the stub answers 404 to everything


def test_server_model_must_be_one_the_server_has(stub: StubServer) -> None:
    stub.routes["GET /v1/models"] = openai_models("team-coder")
    with pytest.raises(EngineError, match=r"no model 'other'.*it has: team-coder"):
        load_engine(http_settings(stub.url, server_model="other"))


def test_ollama_tells_the_architecture_through_api_show(stub: StubServer) -> None:
    stub.routes["GET /v1/models"] = openai_models("qwen2.5-coder:1.5b-base")
    stub.routes["GET /api/version"] = lambda r: r.json({"version": "0.12.3"})
    stub.routes["POST /api/show"] = lambda r: r.json({
        "details": {"family": "qwen2", "quantization_level": "Q4_K_M"},
        "model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768}})
    stub.routes["POST /v1/completions"] = lambda r: r.events(completion_chunks(["b"]))
    engine = load_engine(http_settings(stub.url))
    assert isinstance(engine, HttpEngine)
    assert engine.facts.kind == "ollama" and not engine.facts.tokenizer
    assert engine.info.architecture == "qwen2" and engine.info.quantization == "Q4_K_M"
    assert engine.info.context_length == 32768
    assert not engine.is_special_token("<|fim_prefix|>")  # no tokenizer endpoint to ask
    # Without a tokenizer hearth cannot see FIM tokens: plain continuation, unless
    # hearth.completionTemplate names the family.
    templates = completion_templates()
    assert choose_completion_template(templates, engine.info, engine).family == "base"
    chosen = choose_completion_template(templates, engine.info, engine, "qwen2.5-coder")
    generation = engine.generate(chosen.render(repo="r", path="a.py", prefix="x = ",
                                               suffix="\n"),
                                 GenerationParams(max_tokens=4), CancelToken())
    assert generation.text == "b"
    assert stub.received[-1].body["model"] == "qwen2.5-coder:1.5b-base"
    assert stub.received[-1].body["prompt"] == (
        "<|repo_name|>r\n<|file_sep|>a.py\n<|fim_prefix|>x = <|fim_suffix|>\n<|fim_middle|>")


def test_vllm_tokenizer_and_context(stub: StubServer) -> None:
    stub.routes["GET /v1/models"] = lambda r: r.json({"object": "list", "data": [{
        "id": "Qwen/Qwen2.5-Coder-1.5B", "object": "model", "owned_by": "vllm",
        "max_model_len": 16384}]})

    def tokenize(r: StubRequest) -> None:
        assert r.body["add_special_tokens"] is False and r.body["model"]
        text = r.body["prompt"]
        r.json({"tokens": [151659] if text == "<|fim_prefix|>" else
                list(range((len(text) + 3) // 4)), "count": 0, "max_model_len": 16384})

    stub.routes["POST /tokenize"] = tokenize
    engine = load_engine(http_settings(stub.url))
    assert isinstance(engine, HttpEngine)
    assert engine.facts.kind == "vllm" and engine.facts.context == 16384
    assert engine.facts.tokenizer == "/tokenize" and not engine.facts.infill
    assert engine.is_special_token("<|fim_prefix|>") and not engine.is_special_token("<|x|>")
    assert engine.info.architecture == "qwen2"
    # About four characters per token here, estimated a little high.
    assert 250 <= engine.count_tokens("y" * 1000) <= 300
