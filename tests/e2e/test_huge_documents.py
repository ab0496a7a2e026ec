"""Huge documents do not starve anyone: with a 20 MB document open and being edited, status and
a small document's suggestion answer promptly, and the huge document's own suggestion is made
from a bounded window around the cursor (the real server over stdio, the tiny model).

The time limits are generous (the CI machine is slow and shared); what they rule out is work
that grows with the document, which took seconds here: parsing the whole text, walking its
syntax tree, rescanning its line starts on every keystroke."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import inline_params, open_doc, start, status

UNIT = "def f{n}(a, b):\n    return a + b\n\n"
SMALL = "import os\n\n\ndef main():\n    path = os.path.join('a', 'b')\n    "
OPTIONS = {"maxTokens": 8, "timeBudgetMs": 1500, "promptTokens": 512}


def huge_python(megabytes: int) -> str:
    count = megabytes * 1024 * 1024 // len(UNIT.format(n=500_000)) + 1
    return "".join(UNIT.format(n=n) for n in range(count)) + "def g(x):\n    "


def type_at(client: LanguageClient, uri: str, version: int, line: int, column: int,
            text: str) -> None:
    at = types.Position(line=line, character=column)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=at, end=at), text=text)]))


async def timed(coroutine: Any) -> tuple[Any, float]:
    began = time.monotonic()
    result = await coroutine
    return result, time.monotonic() - began


async def last_completion(client: LanguageClient) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="hearth.lastCompletion", arguments=[]))
    assert isinstance(result, dict)
    return result


async def test_a_20_mb_document_starves_neither_status_nor_other_documents(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "neovim-0.12", {"modelPath": str(tiny_model), **OPTIONS})
    text = huge_python(20)
    last_line = text.count("\n")
    column = len(text) - text.rfind("\n") - 1
    huge = open_doc(client, tmp_path / "huge.py", text)
    small = open_doc(client, tmp_path / "small.py", SMALL)
    await status(client)  # both are open
    del text

    for round_ in range(3):
        # Typing into the huge document, then asking everything at once.
        for i in range(5):
            type_at(client, huge, 2 + round_ * 5 + i, last_line, column, "x")
            column += 1
        big = asyncio.ensure_future(timed(client.text_document_inline_completion_async(
            inline_params(huge, last_line, column, invoked=True))))
        asked, status_s = await timed(status(client))
        _, small_s = await timed(client.text_document_inline_completion_async(
            inline_params(small, 5, 4, invoked=True)))
        _, big_s = await big
        assert asked["state"] == "ready"
        assert status_s < 1.0, f"hearth.status took {status_s:.2f} s beside a 20 MB document"
        assert small_s < 5.0, f"a small document waited {small_s:.2f} s"
        assert big_s < 5.0, f"the huge document's suggestion took {big_s:.2f} s"

    # The huge document's suggestion came from a window, not from the whole text.
    await client.text_document_inline_completion_async(
        inline_params(huge, last_line, column, invoked=True))
    last = await last_completion(client)
    prompt = "".join(part for part, _markup in last["prompt"])
    assert last["reason"] in ("ok", "empty"), last["reason"]
    assert prompt.endswith("def g(x):\n    " + "x" * 15)
    assert len(prompt) < OPTIONS["promptTokens"] * 32


async def test_one_megabyte_line_is_cut_to_a_window(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "visual-studio-code", {"modelPath": str(tiny_model), **OPTIONS})
    line = "data = [" + "1, " * (1024 * 1024 // 3)
    uri = open_doc(client, tmp_path / "minified.py", line)
    for i in range(3):
        type_at(client, uri, 2 + i, 0, len(line) + i, "2")
    _, took = await timed(client.text_document_inline_completion_async(
        inline_params(uri, 0, len(line) + 3, invoked=True)))
    assert took < 5.0
    last = await last_completion(client)
    prompt = "".join(part for part, _markup in last["prompt"])
    assert prompt.endswith("1, 222") and len(prompt) < OPTIONS["promptTokens"] * 32
