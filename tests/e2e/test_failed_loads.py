"""A model setting that cannot work keeps the working model serving: each bad value is reported
(window/showMessage and ``loadError`` in the status), completions keep coming from the model
that was loaded, and the bad value is tried again only when the setting changes."""

from __future__ import annotations

import asyncio
import os
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import PLAIN, ghost_text, open_doc, start, status
from tests.inference_servers import free_port

Bad = Callable[[Path, Path], dict[str, Any]]  # (tiny model, tmp dir) -> settings


def _file(tmp: Path, name: str, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


def _fifo(tmp: Path) -> str:
    path = tmp / "model.gguf"
    os.mkfifo(path)
    return str(path)


def _prompts(tmp: Path) -> str:
    folder = tmp / "prompts" / "completion"
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text("family = [unclosed\n")
    return str(tmp / "prompts")


# Each case: the settings sent, and what the message must name.
CASES: dict[str, tuple[Bad, str]] = {
    "a folder": (lambda tiny, tmp: {"modelPath": str(tmp)}, "is a folder"),
    "/dev/zero": (lambda tiny, tmp: {"modelPath": "/dev/zero"}, "not a regular file"),
    "a FIFO": (lambda tiny, tmp: {"modelPath": _fifo(tmp)}, "not a regular file"),
    "a missing file": (lambda tiny, tmp: {"modelPath": str(tmp / "gone.gguf")}, "not found"),
    "a text file": (lambda tiny, tmp: {"modelPath": _file(tmp, "notes.gguf", b"hello\n" * 50)},
                    "not a GGUF file"),
    "an empty file": (lambda tiny, tmp: {"modelPath": _file(tmp, "empty.gguf", b"")},
                      "not a GGUF file"),
    "a truncated header": (lambda tiny, tmp: {"modelPath": _file(
        tmp, "cut.gguf", tiny.read_bytes()[:2000])}, "truncated"),
    "missing tensor data": (lambda tiny, tmp: {"modelPath": _file(
        tmp, "half.gguf", tiny.read_bytes()[:tiny.stat().st_size * 6 // 10])}, "half.gguf"),
    "an unknown GGUF version": (lambda tiny, tmp: {"modelPath": _file(
        tmp, "v9.gguf", b"GGUF" + struct.pack("<I", 9) + bytes(64))}, "version 9"),
    "a wrong modelSha256": (lambda tiny, tmp: {"modelPath": str(tiny), "modelSha256": "0" * 64},
                            "hearth.modelSha256 expects"),
    "an unknown template": (lambda tiny, tmp: {"completionTemplate": "no-such-family"},
                            "no completion template named 'no-such-family'"),
    "a broken promptsDir": (lambda tiny, tmp: {"promptsDir": _prompts(tmp)}, "mine.toml"),
    "a closed server port": (lambda tiny, tmp: {
        "engine": "http", "serverUrl": f"http://127.0.0.1:{free_port()}"}, "connection refused"),
    "a server engine without a URL": (lambda tiny, tmp: {"engine": "http"},
                                      "hearth.serverUrl is empty"),
}
WORKING = {"maxTokens": 8}


def configure(client: LanguageClient, settings: dict[str, Any]) -> None:
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"hearth": settings}))


async def wait_loaded(client: LanguageClient, failed: bool, timeout: float = 30
                      ) -> dict[str, Any]:
    """The status once the load that a settings change started has ended."""
    end = time.monotonic() + timeout
    current: dict[str, Any] = {}
    while time.monotonic() < end:
        current = await status(client)
        if current["state"] != "loading" and (current["loadError"] is not None) == failed:
            return current
        await asyncio.sleep(0.05)
    raise AssertionError(f"the load did not end as expected: {current}")


def messages(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages
            if m.type in (types.MessageType.Warning, types.MessageType.Error)]


@pytest.mark.parametrize("case", list(CASES))
async def test_a_bad_model_setting_keeps_the_working_model(
        client: LanguageClient, tiny_model: Path, tmp_path: Path, case: str) -> None:
    bad, reason = CASES[case]
    working = {"modelPath": str(tiny_model), **WORKING}
    ready = await start(client, "neovim", working)
    assert ready["state"] == "ready" and ready["loadError"] is None
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    assert await ghost_text(client, uri) is not None

    broken = {**working, **bad(tiny_model, tmp_path)}
    configure(client, broken)
    current = await wait_loaded(client, failed=True)
    assert current["state"] == "ready", current
    assert current["path"] == str(tiny_model), current
    assert reason in current["loadError"], current
    shown = messages(client)
    assert any(reason in m and "still serving" in m for m in shown), shown
    assert await ghost_text(client, uri) is not None  # the working model answers

    # The same settings again are not tried again; a change is.
    said = len(shown)
    configure(client, broken)
    await asyncio.sleep(0.5)
    assert len(messages(client)) == said
    assert (await status(client))["state"] == "ready"
    configure(client, working)
    current = await wait_loaded(client, failed=False)
    assert current["state"] == "ready" and current["message"] == "ready"
    assert await ghost_text(client, uri) is not None
