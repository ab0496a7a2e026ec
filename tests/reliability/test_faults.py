"""Faults while running: each is recovered with a clear message and the server keeps answering."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import server_env
from tests.e2e.conftest import (
    PLAIN,
    client,
    ghost_text,
    open_doc,
    start,
    status,
    wait_for_model,
)

__all__ = ["client"]
NO_CONFIG = "/nonexistent-hearth-config"


def faulty(faults: str, *args: str) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "lsp_server", "serve", *args],
        server_env=server_env(XDG_CONFIG_HOME=NO_CONFIG, HEARTH_FAULTS=faults))


async def stop(lsp_client: LanguageClient) -> None:
    with contextlib.suppress(TimeoutError, RuntimeError):
        await asyncio.wait_for(lsp_client.shutdown_session(), 10)


@pytest_lsp.fixture(config=faulty("engine.token=10"))  # type: ignore[untyped-decorator]
async def engine_fault(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    await stop(lsp_client)


@pytest_lsp.fixture(config=faulty("worker.job=3"))  # type: ignore[untyped-decorator]
async def worker_fault(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    await stop(lsp_client)


@pytest_lsp.fixture(config=faulty("", "--log-file", "/proc/hearth/no/such/dir/hearth.log"))  # type: ignore[untyped-decorator]
async def unwritable_log(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    await stop(lsp_client)


def warnings_of(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages
            if m.type in (types.MessageType.Warning, types.MessageType.Error)]


async def test_engine_raising_mid_generation(engine_fault: LanguageClient, tiny_model: Path,
                                             tmp_path: Path) -> None:
    client = engine_fault
    await start(client, "neovim-0.12", {"modelPath": str(tiny_model), "maxTokens": 8})
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    assert await ghost_text(client, uri) is None  # the faulty request: empty, not an error
    assert any("the model failed on this request" in m for m in warnings_of(client))
    current = await status(client)
    assert current["generations"]["failed"] == 1
    assert await ghost_text(client, uri) is not None  # the next request is served
    assert (await status(client))["state"] == "ready"


async def test_worker_thread_dying(worker_fault: LanguageClient, tiny_model: Path,
                                   tmp_path: Path) -> None:
    client = worker_fault
    await start(client, "visual-studio-code", {"modelPath": str(tiny_model), "maxTokens": 8})
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    assert await ghost_text(client, uri) is not None  # job 2
    asked = time.monotonic()
    assert await ghost_text(client, uri) is None  # job 3: the thread dies as it starts it
    assert time.monotonic() - asked < 5  # the caller was not left hanging
    assert await ghost_text(client, uri) is not None  # a new thread took over
    current = await status(client)
    assert current["workerRestarts"] == 1
    assert any("worker stopped unexpectedly" in m for m in warnings_of(client))


async def test_model_file_deleted_while_running(client: LanguageClient, tiny_model: Path,
                                                tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    shutil.copy(tiny_model, model)
    await start(client, "neovim", {"modelPath": str(model), "maxTokens": 8})
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    model.unlink()
    assert await ghost_text(client, uri) is not None  # the copy in memory keeps serving
    assert any("was deleted" in m for m in warnings_of(client))
    assert await ghost_text(client, uri) is not None
    assert sum("was deleted" in m for m in warnings_of(client)) == 1  # said once


async def test_model_file_corrupted_while_running(client: LanguageClient, tiny_model: Path,
                                                  tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    shutil.copy(tiny_model, model)
    await start(client, "neovim-0.12", {"modelPath": str(model), "maxTokens": 8})
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    with model.open("r+b") as f:  # rewritten in place, cut short: a memory map would SIGBUS
        f.truncate(3000)
    assert await ghost_text(client, uri) is None
    assert any("changed on disk" in m for m in warnings_of(client))
    current = await wait_for_model(client)
    assert current["state"] == "error" and "model.gguf" in str(current["message"])
    assert await ghost_text(client, uri) is None  # still answering, empty
    shutil.copy(tiny_model, model)  # repaired: a settings change reloads it
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"hearth": {"modelPath": str(model), "contextSize": 2048}}))
    await asyncio.sleep(0.1)
    assert (await wait_for_model(client))["state"] == "ready"
    assert await ghost_text(client, uri) is not None


async def test_unwritable_log_location(unwritable_log: LanguageClient, tiny_model: Path,
                                       tmp_path: Path) -> None:
    client = unwritable_log
    ready = await start(client, "neovim", {"modelPath": str(tiny_model), "maxTokens": 4})
    assert ready["state"] == "ready"
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    assert await ghost_text(client, uri) is not None
