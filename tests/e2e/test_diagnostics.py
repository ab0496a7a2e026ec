"""hearth's own syntax diagnostics (tree-sitter), over stdio, per editor profile."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import PROFILES, open_doc, start

BROKEN = "def total(prices):\n    result = (0\n    return result\n"


async def wait_for_diagnostics(client: LanguageClient, uri: str, want_empty: bool = False,
                               timeout: float = 10) -> list[types.Diagnostic]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = client.diagnostics.get(uri)
        if found is not None and (not found) == want_empty:
            return list(found)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {'empty ' if want_empty else ''}diagnostics for {uri}")


@pytest.mark.parametrize("profile", PROFILES)
async def test_syntax_errors_are_published_and_cleared(
        client: LanguageClient, profile: str, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, profile, {"modelPath": str(tiny_model)})
    uri = open_doc(client, tmp_path / "broken.py", BROKEN)
    found = await wait_for_diagnostics(client, uri)
    assert found and all(d.source == "hearth" for d in found)
    assert all(d.severity == types.DiagnosticSeverity.Error for d in found)
    assert min(d.range.start.line for d in found) >= 1  # the problem starts on line 2
    # Fixing it (one incremental edit) clears them.
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=1, character=13),
                              end=types.Position(line=1, character=14)),
            text="")]))
    assert await wait_for_diagnostics(client, uri, want_empty=True) == []


async def test_diagnostics_setting_turns_them_off(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "visual-studio-code", {"modelPath": str(tiny_model),
                                               "diagnostics": False})
    uri = open_doc(client, tmp_path / "broken.py", BROKEN)
    other = open_doc(client, tmp_path / "also.js", "function f( {\n")
    await asyncio.sleep(1.0)
    assert not client.diagnostics.get(uri) and not client.diagnostics.get(other)


async def test_other_languages_and_utf16_columns(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "visual-studio-code", {"modelPath": str(tiny_model)})
    uri = open_doc(client, tmp_path / "x.go", 'package main\n\nfunc f() {\n\ts := "😀" +\n}\n',
                   "go")
    found = await wait_for_diagnostics(client, uri)
    assert found and found[0].range.start.line >= 3
