"""Settings changes over stdio: each ``workspace/didChangeConfiguration`` replaces what came
before (``initializationOptions`` included), so a key the editor stops sending is back at its
default, and the model reloads only when a setting it depends on changed. A context size that
cannot work is refused by name (more than the model was trained for is lowered; a KV cache this
machine cannot hold is refused before anything is allocated)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import PLAIN, ghost_text, open_doc, start
from tests.e2e.test_failed_loads import configure, messages, wait_loaded
from tests.tiny_gguf import write_tiny_gguf


def loads(client: LanguageClient) -> int:
    """How many times the model was loaded (the server logs each load)."""
    return sum(m.message.startswith("hearth: loaded ") for m in client.log_messages)


async def settled(client: LanguageClient, seconds: float = 0.5) -> dict[str, Any]:
    """The status after a change has had time to start a reload (and any reload ended)."""
    await asyncio.sleep(seconds)
    return await wait_loaded(client, failed=False)


@pytest.fixture(scope="session")
def wide_model(model_dir: Path) -> Path:
    """A 17 MB model trained (so its header says) for 1,048,576 tokens, with wide attention
    heads: 64 KB of KV cache per token, 64 GB at its full context."""
    return write_tiny_gguf(model_dir / "wide.gguf", context_length=1 << 20, head_dim=2048)


async def test_a_removed_key_returns_to_its_default_without_a_reload(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    model = {"modelPath": str(tiny_model), "maxTokens": 8}
    ready = await start(client, "visual-studio-code", {**model, "inlineCompletion": False})
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    assert await ghost_text(client, uri) is None  # off, as initializationOptions said
    assert loads(client) == 1

    configure(client, model)  # the editor no longer sends inlineCompletion
    current = await settled(client)
    assert await ghost_text(client, uri) is not None  # back at its default: on
    assert loads(client) == 1 and current["loadMs"] == ready["loadMs"]  # not reloaded

    configure(client, {**model, "inlineCompletion": False})
    await settled(client)
    assert await ghost_text(client, uri) is None
    configure(client, model)
    await settled(client)
    assert await ghost_text(client, uri) is not None
    assert loads(client) == 1
    assert messages(client) == []


async def test_a_removed_model_setting_reloads_with_its_default(
        client: LanguageClient, tiny_model: Path) -> None:
    ready = await start(client, "neovim", {"modelPath": str(tiny_model),
                                           "completionTemplate": "starcoder"})
    assert ready["template"] == "starcoder"

    configure(client, {"modelPath": str(tiny_model)})
    current = await settled(client)
    assert current["template"] == "base", current  # detected again, as by default
    assert loads(client) == 2

    configure(client, {})  # hearth's section left empty: the embedded model, by default
    current = await settled(client, 1.0)
    assert current["state"] == "ready" and "Gemma 3" in current["model"], current
    assert loads(client) == 3


async def test_a_bad_value_keeps_the_value_in_force(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    model = {"modelPath": str(tiny_model), "maxTokens": 8}
    await start(client, "neovim", {**model, "inlineCompletion": False})
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    configure(client, {**model, "inlineCompletion": "yes"})
    await settled(client)
    shown = messages(client)
    assert any("hearth.inlineCompletion" in m and "keeping False" in m for m in shown), shown
    assert await ghost_text(client, uri) is None  # still off: the value in force, kept


async def test_more_context_than_the_model_was_trained_for_is_lowered_to_that(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    working = {"modelPath": str(tiny_model), "maxTokens": 8}
    await start(client, "neovim", working)
    configure(client, {**working, "contextSize": 1 << 20})
    current = await settled(client)
    assert current["state"] == "ready" and current["loadError"] is None, current
    shown = messages(client)
    assert any("hearth.contextSize: 1048576 tokens is more than" in m and "using 4096" in m
               for m in shown), shown
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    assert await ghost_text(client, uri) is not None


async def test_a_context_size_this_machine_cannot_hold_is_refused_and_the_model_kept(
        client: LanguageClient, wide_model: Path, tmp_path: Path) -> None:
    working = {"modelPath": str(wide_model), "maxTokens": 4, "contextSize": 512}
    ready = await start(client, "neovim", working)
    assert ready["state"] == "ready" and ready["loadError"] is None, ready
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    assert await ghost_text(client, uri) is not None

    asked = time.monotonic()
    configure(client, {**working, "contextSize": 1 << 20})
    current = await wait_loaded(client, failed=True)
    assert time.monotonic() - asked < 10  # refused from the header, nothing allocated
    assert current["state"] == "ready", current
    error = current["loadError"]
    assert error.startswith("hearth.contextSize: 1048576 tokens need about 68.7 GB of KV cache")
    assert "available" in error
    shown = messages(client)
    assert any("hearth.contextSize" in m and "still serving" in m for m in shown), shown
    assert await ghost_text(client, uri) is not None  # the model at 512 tokens serves on
    assert loads(client) == 1


async def test_at_start_up_a_context_size_that_cannot_fit_falls_back_to_the_default(
        client: LanguageClient, wide_model: Path, tmp_path: Path) -> None:
    current = await start(client, "neovim", {"modelPath": str(wide_model), "maxTokens": 4,
                                             "contextSize": 1 << 20})
    assert current["state"] == "ready", current
    assert "hearth.contextSize: 1048576 tokens need about" in current["loadError"]
    assert current["loadError"].endswith("; using 4096"), current
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    assert await ghost_text(client, uri) is not None
    assert any("hearth.contextSize" in m.message for m in client.messages
               if m.type == types.MessageType.Warning)
