"""Explanations: the ``hearth.explain`` command, and hover when ``hearth.explainOnHover`` is on.

``workspace/executeCommand`` ``hearth.explain`` with arguments ``[uri, range]`` (an LSP Range;
the selection, or an empty range at the cursor for the function or block around it) returns
``{"markdown": str, "range": Range}``: a title line naming the code, then the model's
explanation, in the editor's language (``InitializeParams.locale``) when prompts/explain.toml
has it, else English. Unless ``hearth.explainShowMessage`` is false (hearth's own clients turn
it off, as they show the Markdown themselves), the text is also sent with
``window/showMessage`` for editors without a hearth client.

It runs like a fix (``ModelService.explain``): cancellable ``$/progress``, ``$/cancelRequest``
stops the generation, completions go first. Unknown documents, malformed arguments and ranges
outside the document are JSON-RPC InvalidParams errors; no loaded model is RequestFailed.

Hover (``textDocument/hover``) explains the function under the mouse only when
``hearth.explainOnHover`` is true (off by default: VS Code sends hovers on every mouse move);
the service remembers explanations per function text, so hovering again is instant.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from .. import regions
from ..assist import ExplainRequest
from ..documents import Document, Pos
from ..server import HearthServer  # at run time: pygls reads handler annotations
from ..service import ServiceUnavailable
from .convert import (
    document,
    lsp_range,
    offsets,
    parse_range,
    range_json,
    refuse_private,
    request_failed,
)

EXPLAIN_COMMAND = "hearth.explain"


def register(server: HearthServer) -> None:
    @server.command(EXPLAIN_COMMAND)
    async def explain(ls: HearthServer, *args: Any) -> dict[str, Any]:
        if len(args) != 2:
            raise JsonRpcInvalidParams(f"{EXPLAIN_COMMAND} takes [uri, range], got {len(args)}"
                                       " arguments")
        doc = document(ls, args[0])
        start, end = offsets(doc, parse_range(args[1]))
        refuse_private(ls, doc)
        try:
            result = await ls.service.explain(_request(ls, doc, start, end), document=doc.uri)
        except ServiceUnavailable as exc:
            raise request_failed(str(exc)) from exc
        if result is None:
            raise request_failed("a newer explanation replaced this one")
        if ls.settings.explain_show_message:
            ls.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Info, message=result.markdown))
        return {"markdown": result.markdown,
                "range": range_json(lsp_range(doc, result.region.start, result.region.end))}

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: HearthServer, params: types.HoverParams) -> types.Hover | None:
        if not ls.settings.explain_on_hover:
            return None
        doc = ls.documents.get(params.text_document.uri)
        if doc is None or not ls.service.ready or ls.is_private(doc.uri):
            return None
        offset = doc.offset_at(Pos(params.position.line, params.position.character))
        line = doc.line_text(params.position.line)
        if not line.strip():
            return None
        region = regions.function_region(doc.text, doc.language_id, offset)
        if region is None:
            return None
        try:
            result = await ls.service.explain(_request(ls, doc, offset, offset),
                                              document=doc.uri, hover=True)
        except ServiceUnavailable:
            return None
        if result is None or result.reason != "ok":
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value=result.markdown),
                           range=lsp_range(doc, region.start, region.end))


def _request(ls: HearthServer, doc: Document, start: int, end: int) -> ExplainRequest:
    return ExplainRequest(text=doc.text, start=start, end=end, language_id=doc.language_id,
                          path=ls.display_path(doc.uri), locale=ls.locale)
