"""Positions in UTF-16 (VS Code) and UTF-8 (Neovim 0.12) with multi-byte text and incremental
edits: the server must see the text exactly as the editor does, after one edit or thousands."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import PLAIN, capabilities, inline_params, open_doc, wait_for_model

LINE = 's = "😀日本" + '


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(("profile", "encoding"), [
    ("visual-studio-code", "utf-16"), ("neovim@v0.9.1", "utf-16"), ("neovim", "utf-8"),
    ("neovim-0.12", "utf-8")])
async def test_emoji_and_cjk_before_the_cursor(client: LanguageClient, profile: str,
                                               encoding: str, tiny_model: Path,
                                               tmp_path: Path) -> None:
    result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(profile),
        initialization_options={"modelPath": str(tiny_model), "maxTokens": 4}))
    assert (result.capabilities.position_encoding or "utf-16") == encoding
    await wait_for_model(client)
    uri = open_doc(client, tmp_path / "u.txt", LINE + "\n", PLAIN)

    # Type "abc" after the multi-byte text, as the editor reports it.
    end = units(LINE, encoding)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=0, character=end),
                              end=types.Position(line=0, character=end)),
            text="abc")]))
    cursor = units(LINE + "abc", encoding)

    completion = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=0, character=cursor),
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)))
    assert isinstance(completion, types.CompletionList)
    [item] = completion.items
    assert isinstance(item.text_edit, types.TextEdit)
    # The server found the word the editor has before the cursor, at the editor's columns.
    assert item.text_edit.new_text.startswith("abc")
    assert item.text_edit.range.start == types.Position(line=0, character=end)
    assert item.text_edit.range.end == types.Position(line=0, character=cursor)

    inline = await client.text_document_inline_completion_async(inline_params(uri, 0, cursor,
                                                                              invoked=True))
    assert inline is not None
    items = inline.items if isinstance(inline, types.InlineCompletionList) else inline
    assert items[0].range == types.Range(start=types.Position(line=0, character=cursor),
                                         end=types.Position(line=0, character=cursor))


def position_of(text: str, offset: int, encoding: str) -> types.Position:
    """The editor's view: lines end at \\n, columns count ``encoding`` units."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=units(text[start:offset], encoding))


@pytest.mark.parametrize(("profile", "encoding"), [
    ("visual-studio-code", "utf-16"), ("neovim-0.12", "utf-8")])
async def test_thousands_of_random_edits_keep_the_server_in_sync(
        client: LanguageClient, profile: str, encoding: str, tmp_path: Path) -> None:
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(profile),
        initialization_options={"modelPath": str(tmp_path / "absent.gguf")}))
    rng = random.Random(20261128)
    pieces = ["a", "z", " ", "\n", "    ", "(", ")", "é", "日本", "😀", "𝄞", "\t", ""]
    text = "def f():\n    return '😀'\n"
    uri = open_doc(client, tmp_path / "edits.py", text)
    for version in range(2, 3002):
        start = rng.randrange(len(text) + 1)
        end = min(len(text), start + rng.choice([0, 0, 1, 2, 5]))
        inserted = "".join(rng.choice(pieces) for _ in range(rng.randrange(4)))
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=position_of(text, start, encoding),
                              end=position_of(text, end, encoding)), text=inserted)
        text = text[:start] + inserted + text[end:]
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change]))

    state = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="hearth.documentState", arguments=[uri]))

    assert isinstance(state, dict)
    assert state["version"] == 3001
    assert state["characters"] == len(text)
    assert state["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
