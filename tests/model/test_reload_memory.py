"""Reloading the embedded model gives the old one's memory back (each reload used to keep about
35 MB: the engine's tables, held by a reference cycle until Python's collector ran)."""

from __future__ import annotations

import asyncio
import time

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import start, status
from tests.e2e.test_memory_returns import rss_mb

RELOADS = 5
ALLOWED_GROWTH_MB = 20


async def reload(client: LanguageClient, context_size: int) -> None:
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"hearth": {"threads": 1, "contextSize": context_size}}))
    end = time.monotonic() + 120
    await asyncio.sleep(0.2)
    while (current := await status(client))["state"] != "ready" or current["busy"]:
        assert time.monotonic() < end, "the model did not load again"
        await asyncio.sleep(0.1)


async def test_model_reloads_do_not_accumulate_memory(client: LanguageClient) -> None:
    ready = await start(client, "neovim", {"threads": 1, "contextSize": 2048})
    assert ready["state"] == "ready", ready
    for size in (2048 + 64, 2048):  # warm-up: the allocator settles
        await reload(client, size)
    before = rss_mb(client)
    after = []
    for cycle in range(RELOADS):
        await reload(client, 2048 + 64 * (cycle % 2 == 0))
        after.append(rss_mb(client))
    assert after[-1] - before < ALLOWED_GROWTH_MB, f"{before:.0f} MB, then {after}"
