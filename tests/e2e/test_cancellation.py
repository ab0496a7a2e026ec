"""Stopping generations: $/cancelRequest and newer keystrokes stop the model, not just the reply."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient

from tests.e2e.conftest import (
    PLAIN,
    inline_params,
    open_doc,
    request_with_id,
    start,
    status,
    wait_busy,
)

LONG_RUN = {"maxTokens": 30000, "timeBudgetMs": 120000, "contextSize": 32768}




async def test_cancel_request_stops_the_running_generation(
        client: LanguageClient, endless_model: Path, tmp_path: Path) -> None:
    await start(client, "neovim-0.12", {"modelPath": str(endless_model), **LONG_RUN})
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    before = (await status(client))["generations"]

    request = request_with_id(client, types.TEXT_DOCUMENT_INLINE_COMPLETION,
                              inline_params(uri, 0, 4), "gen-1")
    await wait_busy(client, True)
    await asyncio.sleep(0.2)  # well into generation: 30,000 tokens would take seconds
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="gen-1"))

    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(request, 5)
    after = await wait_busy(client, False, timeout=2)
    generations = after["generations"]
    assert isinstance(generations, dict) and isinstance(before, dict)
    assert generations["cancelled"] == before["cancelled"] + 1
    latency = after["lastStopLatencyMs"]
    assert isinstance(latency, float) and latency < 250


async def test_newer_request_for_the_same_document_replaces_the_running_one(
        client: LanguageClient, endless_model: Path, tmp_path: Path) -> None:
    await start(client, "visual-studio-code", {"modelPath": str(endless_model), **LONG_RUN})
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    first = asyncio.ensure_future(
        client.text_document_inline_completion_async(inline_params(uri, 0, 4)))
    await wait_busy(client, True)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=0, character=4),
                              end=types.Position(line=0, character=4)),
            text="1")]))
    second = request_with_id(client, types.TEXT_DOCUMENT_INLINE_COMPLETION,
                             inline_params(uri, 0, 5), "gen-2")
    assert await asyncio.wait_for(first, 5) is None  # superseded: an empty answer, no error
    current = await wait_busy(client, True)  # the newer request is the one running now
    generations = current["generations"]
    assert isinstance(generations, dict) and generations["cancelled"] == 1
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="no-such-request"))
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="gen-2"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(second, 5)
    await wait_busy(client, False, timeout=2)
