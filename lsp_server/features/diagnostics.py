"""Syntax errors found by tree-sitter, published as diagnostics (source "hearth").

They give the quick fixes something to act on when no other language server runs. Published
once edits pause (``DELAY_S``), from the tree each document already keeps up to date.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from lsprotocol import types

from ..documents import Document, Edit
from ..server import HearthServer  # at run time: pygls reads handler annotations
from ..syntax import error_nodes
from ..syntax_trees import Parsed

DELAY_S = 0.25
MAX_DIAGNOSTICS = 50
SOURCE = "hearth"


def register(server: HearthServer) -> None:
    publisher = SyntaxDiagnostics(server)
    server.documents.on_change(publisher.changed)
    server.documents.on_close(publisher.closed)


class SyntaxDiagnostics:
    def __init__(self, server: HearthServer) -> None:
        self.server = server
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._published: set[str] = set()  # URIs with diagnostics showing

    def changed(self, doc: Document, _edits: Sequence[Edit]) -> None:
        timer = self._timers.pop(doc.uri, None)
        if timer is not None:
            timer.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not on the event loop (a test driving the store directly)
        self._timers[doc.uri] = loop.call_later(DELAY_S, self.publish, doc.uri)

    def closed(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        if uri in self._published:
            self._send(uri, [], None)

    def publish(self, uri: str) -> None:
        self._timers.pop(uri, None)
        doc = self.server.documents.get(uri)
        if doc is None:
            return
        parsed = self.server.trees.get(uri)
        if not self.server.settings.diagnostics or parsed is None or parsed.text != doc.text:
            if uri in self._published:
                self._send(uri, [], doc.version)
            return
        diagnostics = syntax_diagnostics(doc, parsed)
        if diagnostics or uri in self._published:
            self._send(uri, diagnostics, doc.version)

    def _send(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None) -> None:
        if diagnostics:
            self._published.add(uri)
        else:
            self._published.discard(uri)
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=version))


def syntax_diagnostics(doc: Document, parsed: Parsed) -> list[types.Diagnostic]:
    found: list[types.Diagnostic] = []
    for node in error_nodes(parsed.tree):
        start = parsed.char(node.start_byte)
        if node.is_missing:
            message = f"syntax error: missing {node.type!r}"
            end = start
        else:
            first = node.children[0] if node.children else node
            snippet = parsed.data[first.start_byte:first.end_byte].decode("utf-8", "replace")
            snippet = snippet.split("\n", 1)[0].strip()[:40]
            message = f"syntax error near {snippet!r}" if snippet else "syntax error"
            end = parsed.char(node.end_byte)
            line_end = doc.text.find("\n", start)
            if line_end >= 0 and end > line_end:
                end = max(start + 1, line_end)  # mark the first line; recovery spans can be huge
        found.append(types.Diagnostic(
            range=types.Range(start=_position(doc, start), end=_position(doc, end)),
            message=message, severity=types.DiagnosticSeverity.Error, source=SOURCE,
            code="syntax"))
        if len(found) >= MAX_DIAGNOSTICS:
            break
    return found


def _position(doc: Document, offset: int) -> types.Position:
    pos = doc.position_at(offset)
    return types.Position(line=pos.line, character=pos.character)
