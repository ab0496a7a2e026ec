"""GGUF metadata without loading the model."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lsp_server.gguf_header import GGUFError, is_gguf, read_header
from tests.tiny_gguf import vocabulary


def test_tiny_model_metadata(tiny_model: Path) -> None:
    header = read_header(tiny_model)
    assert header.version == 3
    assert header.architecture == "llama"
    assert header.get_int("llama.context_length") == 4096
    assert header.array_lengths["tokenizer.ggml.tokens"] == len(vocabulary()[0])
    assert header.tensor_count == 3 + 2 * 9


def test_embedded_model_is_fast_to_read(embedded_model: Path) -> None:
    start = time.monotonic()
    header = read_header(embedded_model)
    assert time.monotonic() - start < 2
    assert header.architecture == "gemma3"
    assert header.array_lengths["tokenizer.ggml.tokens"] == 262144


def test_broken_files(tmp_path: Path, tiny_model: Path) -> None:
    truncated = tmp_path / "t.gguf"
    truncated.write_bytes(tiny_model.read_bytes()[:200])
    with pytest.raises(GGUFError, match="truncated"):
        read_header(truncated)
    text = tmp_path / "x.gguf"
    text.write_text("hello")
    assert not is_gguf(text)
    with pytest.raises(GGUFError, match="bad magic"):
        read_header(text)
    v1 = tmp_path / "v1.gguf"
    v1.write_bytes(b"GGUF\x01\x00\x00\x00" + b"\x00" * 16)
    with pytest.raises(GGUFError, match="version 1"):
        read_header(v1)
    with pytest.raises(GGUFError, match="cannot read"):
        read_header(tmp_path / "missing.gguf")
