"""Converting between LSP and hearth's own types for the features that take documents and
ranges (code_actions.py, explain.py): documents by URI, ranges to str offsets and back, and the
errors LSP expects for bad input."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from ..documents import Document, Pos
from ..server import HearthServer

PRIVATE = ("hearth does not send this file to the model: it is on the secrets deny list"
           " (credentials, keys, .env files, or hearth.exclude)")


UINTEGER_MAX = 2**31 - 1


def refuse_private(ls: HearthServer, doc: Document) -> None:
    """An error reply for a model request on a secret file."""
    if ls.is_private(doc.uri):
        raise request_failed(PRIVATE)


def document(ls: HearthServer, uri: Any) -> Document:
    if not isinstance(uri, str):
        raise JsonRpcInvalidParams(f"expected a document URI, got {uri!r}")
    doc = ls.documents.get(uri)
    if doc is None:
        raise JsonRpcInvalidParams(f"{uri} is not open")
    return doc


def offsets(doc: Document, rng: types.Range) -> tuple[int, int]:
    """str offsets of an LSP range; JSON-RPC InvalidParams for a range outside the document
    or ending before it starts (characters past a line's end mean its end, as LSP says)."""
    for pos in (rng.start, rng.end):
        if pos.line > doc.line_count or (pos.line == doc.line_count and pos.character > 0):
            raise JsonRpcInvalidParams(
                f"position {pos.line}:{pos.character} is outside the document "
                f"({doc.line_count} lines)")
    if (rng.end.line, rng.end.character) < (rng.start.line, rng.start.character):
        raise JsonRpcInvalidParams("the range ends before it starts")
    return (doc.offset_at(Pos(rng.start.line, rng.start.character)),
            doc.offset_at(Pos(rng.end.line, rng.end.character)))


def lsp_range(doc: Document, start: int, end: int) -> types.Range:
    a, b = doc.position_at(start), doc.position_at(end)
    return types.Range(start=types.Position(line=a.line, character=a.character),
                       end=types.Position(line=b.line, character=b.character))


def parse_range(value: Any) -> types.Range:
    """An LSP range from JSON (action data), or InvalidParams."""
    try:
        start, end = value["start"], value["end"]
        numbers = [start["line"], start["character"], end["line"], end["character"]]
    except (KeyError, TypeError) as exc:
        raise JsonRpcInvalidParams(f"not a range: {value!r}") from exc
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= UINTEGER_MAX
               for n in numbers):  # LSP positions are uintegers
        raise JsonRpcInvalidParams(f"not a range: {value!r}"[:300])
    return types.Range(start=types.Position(line=numbers[0], character=numbers[1]),
                       end=types.Position(line=numbers[2], character=numbers[3]))


def range_json(rng: types.Range) -> dict[str, dict[str, int]]:
    return {"start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character}}


def request_failed(message: str) -> JsonRpcException:
    """LSP's RequestFailed: the request was valid, but hearth cannot answer it now."""
    return JsonRpcException(message, code=types.LSPErrorCodes.RequestFailed)
