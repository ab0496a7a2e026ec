"""The HTTP engine's pure parts: addresses, settings, error bodies, prompt defusing, names."""

from __future__ import annotations

import pytest

from lsp_server.config import Settings, merge
from lsp_server.engines.base import CancelToken, EngineError, Prompt
from lsp_server.engines.http_transport import Endpoint, _error_detail
from lsp_server.engines.http_wire import (
    defused_text,
    guess_architecture,
    guess_quantization,
    hold_back_blanks,
    parse_event,
)


@pytest.mark.parametrize(("url", "display", "base"), [
    ("http://10.0.0.5:8080", "http://10.0.0.5:8080", ""),
    ("http://10.0.0.5:8080/v1/", "http://10.0.0.5:8080", ""),
    ("https://llm.team.lan/proxy/v1", "https://llm.team.lan:443/proxy", "/proxy"),
    ("http://[fd00::5]:11434", "http://[fd00::5]:11434", ""),
])
def test_endpoint_parse(url: str, display: str, base: str) -> None:
    endpoint = Endpoint.parse(url)
    assert endpoint.display == display and endpoint.base_path == base


@pytest.mark.parametrize("url", ["ftp://host", "http://", "http://user:pw@host:1",
                                 "http://host:99999"])
def test_endpoint_rejects(url: str) -> None:
    with pytest.raises(EngineError):
        Endpoint.parse(url)


def test_settings_keep_tokens_out_of_files() -> None:
    settings, errors = merge(Settings(), {"hearth": {
        "engine": "http", "serverUrl": "http://gpu-box:8080/v1", "apiKeyEnv": "sk-live-abc123",
        "serverApi": "infill", "serverReadTimeoutMs": 5000}})
    assert settings.engine == "http" and settings.server_url == "http://gpu-box:8080/v1"
    assert settings.server_api == "infill" and settings.server_read_timeout_ms == 5000
    assert settings.api_key_env == ""
    assert len(errors) == 1 and "name of an environment variable" in errors[0]
    _, errors = merge(Settings(), {"serverUrl": "gpu-box:8080"})
    assert "http:// or https://" in errors[0]


def test_error_bodies_of_common_servers() -> None:
    assert _error_detail(b'{"error": {"code": 400, "message": "too long"}}') == "too long"
    assert _error_detail(b'{"detail": "Invalid API key"}') == "Invalid API key"
    assert _error_detail(b'{"error": "model not found"}') == "model not found"
    assert _error_detail(b"Bad Gateway") == "Bad Gateway"


def test_control_token_spellings_in_document_text_are_defused() -> None:
    prompt = Prompt((("<|fim_prefix|>", True), ('s = "<|fim_suffix|> and <|endoftext|>"', False),
                     ("<|fim_suffix|>", True), ("", False), ("<|fim_middle|>", True)))
    text = defused_text(prompt, ("<|endoftext|>",))
    assert text.startswith("<|fim_prefix|>") and text.endswith("<|fim_suffix|><|fim_middle|>")
    assert 's = "<\u200b|fim_suffix|> and <\u200b|endoftext|>"' in text
    plain = Prompt.plain("x = '<|fim_suffix|>'")
    assert defused_text(plain, ()) == plain.text  # nothing to defuse without markup


def test_names_tell_architecture_and_quantisation() -> None:
    assert guess_architecture("qwen2.5-coder-7b-instruct-q4_k_m") == "qwen2"
    assert guess_architecture("codegemma-2b") == "gemma"
    assert guess_architecture("starcoder2-3b") == "starcoder2"
    assert guess_architecture("mystery-model") == ""
    assert guess_quantization("qwen2.5-coder-1.5b-q8_0") == "Q8_0"
    assert guess_quantization("deepseek-coder-6.7b-base.Q4_K_M") == "Q4_K_M"
    assert guess_quantization("model-f16") == "F16"
    assert guess_quantization("team-coder") == ""


def test_stream_events_of_both_dialects() -> None:
    assert parse_event({"choices": [{"text": "ab", "finish_reason": None}]}, "s") == \
        ("ab", "", {})
    assert parse_event({"choices": [{"text": "", "finish_reason": "length"}]}, "s")[1] == \
        "length"
    assert parse_event({"choices": [], "usage": {"prompt_tokens": 7,
                                                  "completion_tokens": 3}}, "s") == \
        ("", "", {"prompt": 7, "generated": 3})
    assert parse_event({"content": "x", "stop": True, "stop_type": "word"}, "s")[:2] == \
        ("x", "stop")
    with pytest.raises(EngineError, match="failed mid-reply: boom"):
        parse_event({"error": {"message": "boom"}}, "s")


def test_linked_deadline_token() -> None:
    parent = CancelToken()
    child = parent.with_deadline(1e18)
    assert child.deadline == 1e18 and not child.should_stop()
    parent.cancel()
    assert child.should_stop() and child.reason() == "cancelled"
    early = CancelToken(5.0).with_deadline(1e18)
    assert early.deadline == 5.0


def test_trailing_blanks_are_held_back_for_healing() -> None:
    prompt = Prompt((("# a.py\n", False), ("def f():\n    return  ", False)))
    healed, held = hold_back_blanks(prompt)
    assert held == "  " and healed.text == "# a.py\ndef f():\n    return"
    assert hold_back_blanks(Prompt.plain("x = 1\n")) == (Prompt.plain("x = 1\n"), "")
    markup_last = Prompt((("x ", False), ("<|fim_middle|>", True)))
    assert hold_back_blanks(markup_last) == (markup_last, "")
