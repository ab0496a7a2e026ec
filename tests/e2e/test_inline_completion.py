"""textDocument/inlineCompletion from the real server with the tiny model, per editor profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import PLAIN, PROFILES, inline_params, open_doc, start, status

SOURCE = "def greet(name):\n    message = \"hello \" + name\n    return "


@pytest.mark.parametrize("profile", PROFILES)
async def test_inline_completion_returns_item_at_cursor(
        client: LanguageClient, profile: str, tiny_model: Path, tmp_path: Path) -> None:
    ready = await start(client, profile, {"modelPath": str(tiny_model), "maxTokens": 8})
    assert ready["state"] == "ready", ready
    uri = open_doc(client, tmp_path / "greet.txt", SOURCE, PLAIN)

    result = await client.text_document_inline_completion_async(inline_params(uri, 2, 11))

    assert result is not None
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    assert len(items) == 1
    item = items[0]
    assert isinstance(item.insert_text, str) and item.insert_text.strip()
    assert "\n" not in item.insert_text  # end of a statement line: one line only
    assert item.range == types.Range(start=types.Position(line=2, character=11),
                                     end=types.Position(line=2, character=11))
    after = await status(client)
    assert after["generations"]["completed"] >= 2  # warm-up + this request
    assert after["lastLatencyMs"] is not None
