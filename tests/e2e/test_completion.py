"""textDocument/completion: one labelled AI item for editors without inline completion."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import PLAIN, open_doc, start

SOURCE = "def area(width, height):\n    return wid"


def completion_params(uri: str, line: int, character: int,
                      invoked: bool) -> types.CompletionParams:
    kind = (types.CompletionTriggerKind.Invoked if invoked
            else types.CompletionTriggerKind.TriggerForIncompleteCompletions)
    return types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                  position=types.Position(line=line, character=character),
                                  context=types.CompletionContext(trigger_kind=kind))


@pytest.mark.parametrize("profile", ["neovim", "visual-studio-code"])
async def test_ai_item_replaces_the_word_before_the_cursor(
        client: LanguageClient, profile: str, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, profile, {"modelPath": str(tiny_model), "maxTokens": 6})
    uri = open_doc(client, tmp_path / "area.txt", SOURCE, PLAIN)

    result = await client.text_document_completion_async(
        completion_params(uri, 1, 14, invoked=False))

    assert isinstance(result, types.CompletionList) and result.is_incomplete
    [item] = result.items
    assert item.label_details is not None and item.label_details.description == "hearth AI"
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.range == types.Range(start=types.Position(line=1, character=11),
                                               end=types.Position(line=1, character=14))
    assert item.text_edit.new_text.startswith("wid") and len(item.text_edit.new_text) > 3
    assert item.filter_text == item.text_edit.new_text


async def test_inline_capable_editor_gets_items_only_when_invoked(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "neovim-0.12", {"modelPath": str(tiny_model), "maxTokens": 6})
    uri = open_doc(client, tmp_path / "area.txt", SOURCE, PLAIN)
    automatic = await client.text_document_completion_async(
        completion_params(uri, 1, 14, invoked=False))
    assert automatic is None  # the ghost text covers it
    invoked = await client.text_document_completion_async(
        completion_params(uri, 1, 14, invoked=True))
    assert isinstance(invoked, types.CompletionList) and len(invoked.items) == 1


async def test_completion_item_can_be_switched_off(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "neovim", {"modelPath": str(tiny_model), "completionItem": False})
    uri = open_doc(client, tmp_path / "area.txt", SOURCE, PLAIN)
    result = await client.text_document_completion_async(
        completion_params(uri, 1, 14, invoked=True))
    assert result is None
