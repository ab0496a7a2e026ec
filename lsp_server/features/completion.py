"""Ghost text (``textDocument/inlineCompletion``) and, for editors without it, one AI item in
the ordinary completion menu (``textDocument/completion``)."""

from __future__ import annotations

import re
import time

from lsprotocol import types

from ..documents import Document, Pos
from ..languages import fence_name
from ..pipeline import CompletionRequest, CompletionResult
from ..server import HearthServer  # at run time: pygls reads handler annotations

_WORD_BEFORE = re.compile(r"\w*$")
ITEM_DETAIL = "hearth · local AI suggestion"


def register(server: HearthServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(ls: HearthServer, params: types.InlineCompletionParams
                                ) -> types.InlineCompletionList | None:
        if not ls.settings.inline_completion:
            return None
        invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
        found = await _complete(ls, params.text_document.uri, params.position, invoked)
        if found is None:
            return None
        doc, offset, result = found
        at = _lsp_position(doc.position_at(offset))
        item = types.InlineCompletionItem(insert_text=result.text,
                                          range=types.Range(start=at, end=at))
        return types.InlineCompletionList(items=[item])

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(resolve_provider=False))
    async def completion(ls: HearthServer, params: types.CompletionParams
                         ) -> types.CompletionList | None:
        invoked = params.context is None or (
            params.context.trigger_kind == types.CompletionTriggerKind.Invoked)
        if not ls.settings.completion_item or (_has_inline(ls) and not invoked):
            return None  # the editor shows ghost text instead
        found = await _complete(ls, params.text_document.uri, params.position, invoked)
        if found is None:
            return types.CompletionList(is_incomplete=True, items=[])
        doc, offset, result = found
        word = _WORD_BEFORE.search(doc.text, max(0, offset - 200), offset)
        start = word.start() if word else offset
        new_text = doc.text[start:offset] + result.text
        first_line = new_text.split("\n", 1)[0].rstrip("\r")
        item = types.CompletionItem(
            label=first_line if len(first_line) <= 80 else first_line[:79] + "…",
            label_details=types.CompletionItemLabelDetails(description="hearth AI"),
            kind=types.CompletionItemKind.Snippet,
            detail=ITEM_DETAIL,
            documentation=types.MarkupContent(
                kind=types.MarkupKind.Markdown,
                value=f"```{fence_name(doc.language_id)}\n{new_text}\n```"),
            filter_text=new_text,
            sort_text="0000",
            preselect=True,
            insert_text_format=types.InsertTextFormat.PlainText,
            text_edit=types.TextEdit(
                range=types.Range(start=_lsp_position(doc.position_at(start)),
                                  end=_lsp_position(doc.position_at(offset))),
                new_text=new_text),
        )
        return types.CompletionList(is_incomplete=True, items=[item])


async def _complete(ls: HearthServer, uri: str, position: types.Position, invoked: bool
                    ) -> tuple[Document, int, CompletionResult] | None:
    """The suggestion at ``position`` with the document snapshot it was made for, or None."""
    received = time.monotonic()
    doc = ls.documents.get(uri)
    if doc is None or ls.is_private(uri):
        return None  # unknown, or a secret: answer at once (so does the service without a model)
    offset = doc.offset_at(Pos(position.line, position.character))
    version = doc.version
    request = CompletionRequest(
        uri=uri, text=doc.text, offset=offset, line_starts=doc.line_starts,
        language_id=doc.language_id, path=ls.display_path(uri), invoked=invoked,
        syntax=ls.trees.get(uri),
    )
    result = await ls.service.complete(request, received=received)
    if result is None or not result.text or doc.version != version:
        return None  # nothing to say, or the text changed meanwhile: the suggestion is stale
    return doc, offset, result


def _has_inline(ls: HearthServer) -> bool:
    text_document = ls.client_capabilities.text_document
    return text_document is not None and text_document.inline_completion is not None


def _lsp_position(pos: Pos) -> types.Position:
    return types.Position(line=pos.line, character=pos.character)
