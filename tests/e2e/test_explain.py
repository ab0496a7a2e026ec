"""Explanations over stdio: the hearth.explain command and hover (only when enabled)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.e2e.conftest import PROFILES, open_doc, start, status

SOURCE = '''def average(values):
    total = 0
    for v in values:
        total += v
    return total / len(values)


print(average([1, 2, 3]))
'''
AT_LOOP = {"start": {"line": 2, "character": 4}, "end": {"line": 2, "character": 4}}


async def explain(client: LanguageClient, uri: str, rng: object) -> dict[str, object]:
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="hearth.explain", arguments=[uri, rng]))
    assert isinstance(result, dict)
    return result


@pytest.mark.parametrize("profile", PROFILES)
async def test_explain_returns_markdown_and_shows_it(
        client: LanguageClient, profile: str, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, profile, {"modelPath": str(tiny_model), "explainMaxTokens": 24})
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)

    result = await explain(client, uri, AT_LOOP)

    markdown = result["markdown"]
    assert isinstance(markdown, str)
    title, _, body = markdown.partition("\n\n")
    assert title == "**Explanation: `average` (avg.py 1–5)**"
    assert body.startswith("This function") and len(body) > len("This function")
    assert result["range"] == {"start": {"line": 0, "character": 0},
                               "end": {"line": 4, "character": 30}}
    assert [m.message for m in client.messages if m.message == markdown]  # other editors
    current = await status(client)
    assert current["generations"]["completed"] >= 2


async def test_explanations_follow_the_editor_locale(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "visual-studio-code", {"modelPath": str(tiny_model),
                                               "explainMaxTokens": 16,
                                               "explainShowMessage": False}, locale="ja")
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    selection = {"start": {"line": 2, "character": 0}, "end": {"line": 4, "character": 0}}

    result = await explain(client, uri, selection)

    markdown = result["markdown"]
    assert isinstance(markdown, str)
    assert markdown.startswith("**説明: avg.py 3–4**\n\nこのコードは")
    assert not [m for m in client.messages if m.message == markdown]  # the client shows it


async def test_explain_without_a_model_is_an_error(
        client: LanguageClient, tmp_path: Path) -> None:
    ready = await start(client, "neovim", {"modelPath": str(tmp_path / "missing.gguf")})
    assert ready["state"] == "error"
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    with pytest.raises(JsonRpcException) as error:
        await explain(client, uri, AT_LOOP)
    assert error.value.code == types.LSPErrorCodes.RequestFailed
    assert "no model" in str(error.value)


def hover_params(uri: str, line: int, character: int) -> types.HoverParams:
    return types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri),
                             position=types.Position(line=line, character=character))


async def test_hover_explains_only_when_enabled(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "visual-studio-code", {"modelPath": str(tiny_model),
                                               "explainMaxTokens": 16})
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    before = (await status(client))["generations"]
    assert await client.text_document_hover_async(hover_params(uri, 3, 10)) is None
    assert (await status(client))["generations"] == before

    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"hearth": {"modelPath": str(tiny_model), "explainMaxTokens": 16,
                             "explainOnHover": True}}))  # the whole set, as editors send it
    hover = await client.text_document_hover_async(hover_params(uri, 3, 10))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("**Explanation: `average`")
    assert hover.range == types.Range(start=types.Position(line=0, character=0),
                                      end=types.Position(line=4, character=30))
    started = (await status(client))["generations"]["started"]
    again = await client.text_document_hover_async(hover_params(uri, 1, 6))
    assert again == hover  # the same function: from the cache, no generation
    assert (await status(client))["generations"]["started"] == started
    # Outside any function there is nothing to explain.
    assert await client.text_document_hover_async(hover_params(uri, 7, 3)) is None
