"""Quick fixes: ``textDocument/codeAction`` lists them at once, ``codeAction/resolve`` asks the
model.

What the editor gets (the contract hearth's VS Code and Neovim clients rely on):

``textDocument/codeAction`` never calls the model and answers in milliseconds with

* one ``quickfix`` per diagnostic in the request's context, from any server (pyright, ruff,
  eslint, gopls, ...) or hearth's own: title ``Fix with hearth: <diagnostic message>``,
  ``diagnostics`` = [that diagnostic];
* ``Fix bugs in this function`` (``quickfix``, no diagnostic) when the range is inside a
  function;
* ``Explain with hearth`` (kind ``""``, ``CodeActionKind.Empty``: editors list it with their
  other actions) carrying the command ``hearth.explain`` with arguments ``[uri, range]`` (see
  explain.py).

Automatic requests (VS Code's light bulb, sent whenever the cursor moves) get only the
diagnostic fixes, and the other two only with a non-empty selection, so the light bulb does not
show on every line; requests the user invokes (Ctrl+., ``vim.lsp.buf.code_action()``) or that do
not say get all three. ``context.only`` is honoured.

Fix actions carry ``data`` = ``{"hearth": "fix", "uri", "version", "range", "region",
"problems": [{"message", "range", "source"}]}``; ``region`` is the range the fix may change
(whole lines: the smallest function or block around ``range``).

``codeAction/resolve`` runs the model (cancellable ``$/progress``; ``$/cancelRequest`` stops the
generation) and returns the action with ``edit``: a ``WorkspaceEdit`` of the smallest text edits,
all inside ``region`` (versioned ``documentChanges`` when the client supports them). When there
is no fix (the model changed nothing, the fix would add syntax errors, the document changed
meanwhile, no model...) the action comes back without ``edit``, with ``data.reason`` (a short
code) and ``data.message``, and the message is shown with ``window/showMessage``.

Clients that cannot resolve an action's edit get ``command`` ``hearth.fix`` with ``[data]``
instead: the server computes the fix and applies it with ``workspace/applyEdit``.

Malformed data or ranges outside the document are JSON-RPC InvalidParams errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from .. import regions
from ..assist import FixRequest, Problem
from ..documents import Document
from ..server import HearthServer  # at run time: pygls reads handler annotations
from ..service import ServiceUnavailable
from .convert import (
    PRIVATE,
    document,
    lsp_range,
    offsets,
    parse_range,
    range_json,
    request_failed,
)
from .explain import EXPLAIN_COMMAND

FIX_COMMAND = "hearth.fix"
FIX_TITLE = "Fix with hearth: "
FUNCTION_TITLE = "Fix bugs in this function"
EXPLAIN_TITLE = "Explain with hearth"
EXPLAIN_KIND = types.CodeActionKind.Empty
MAX_DIAGNOSTIC_ACTIONS = 8
MAX_TITLE = 100


@dataclass(frozen=True)
class FixOutcome:
    edit: types.WorkspaceEdit | None
    reason: str  # "ok" or why there is no edit (assist.FixReason, "stale", "no-model", ...)
    message: str


def register(server: HearthServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, EXPLAIN_KIND],
        resolve_provider=True))
    def code_action(ls: HearthServer, params: types.CodeActionParams
                    ) -> list[types.CodeAction] | None:
        if not ls.settings.code_actions:
            return None
        doc = document(ls, params.text_document.uri)
        if ls.is_private(doc.uri):
            return None  # nothing hearth could do there without showing the model a secret
        start, end = offsets(doc, params.range)
        return _actions(ls, doc, params, start, end) or None

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve(ls: HearthServer, action: types.CodeAction) -> types.CodeAction:
        data = action.data
        if not (isinstance(data, dict) and data.get("hearth") == "fix"):
            return action  # not one of hearth's fixes (or already complete)
        outcome = await _fix(ls, data)
        if outcome.edit is not None:
            action.edit = outcome.edit
        else:
            ls.show(types.MessageType.Info, f"hearth: no fix: {outcome.message}")
        action.data = {**data, "reason": outcome.reason, "message": outcome.message}
        return action

    @server.command(FIX_COMMAND)
    async def fix_command(ls: HearthServer, *args: Any) -> dict[str, Any]:
        if len(args) != 1 or not isinstance(args[0], dict):
            raise JsonRpcInvalidParams(f"{FIX_COMMAND} takes one argument: the action's data")
        outcome = await _fix(ls, args[0])
        applied = False
        if outcome.edit is not None:
            try:
                response = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
                    edit=outcome.edit, label="hearth fix"))
                applied = bool(response.applied)
            except JsonRpcException as refused:  # an editor without workspace/applyEdit
                ls.show(types.MessageType.Warning,
                        f"hearth: the editor did not apply the fix: {refused}")
            else:
                if not applied:
                    ls.show(types.MessageType.Warning, "hearth: the editor did not apply the fix"
                            + (f": {response.failure_reason}" if response.failure_reason else ""))
        else:
            ls.show(types.MessageType.Info, f"hearth: no fix: {outcome.message}")
        return {"reason": outcome.reason, "message": outcome.message, "applied": applied}


def _actions(ls: HearthServer, doc: Document, params: types.CodeActionParams,
             start: int, end: int) -> list[types.CodeAction]:
    context = params.context
    only = context.only
    automatic = context.trigger_kind == types.CodeActionTriggerKind.Automatic
    selected = end > start and bool(doc.text[start:end].strip())

    def wanted(kind: str) -> bool:
        return only is None or any(kind == o or kind.startswith(f"{o}.") for o in only)

    resolvable = _can_resolve_edits(ls)
    actions: list[types.CodeAction] = []
    if wanted(types.CodeActionKind.QuickFix):
        seen: set[str] = set()
        for diagnostic in context.diagnostics:
            message = " ".join(diagnostic.message.split())
            if not message or message in seen or len(seen) >= MAX_DIAGNOSTIC_ACTIONS:
                continue
            seen.add(message)
            try:
                d_start, d_end = offsets(doc, diagnostic.range)
            except JsonRpcInvalidParams:
                continue  # a stale diagnostic from another server: nothing to fix there
            region = regions.fix_region(doc.text, doc.language_id, d_start, d_end)
            problem = {"message": diagnostic.message, "range": range_json(diagnostic.range),
                       "source": diagnostic.source or ""}
            actions.append(_fix_action(
                doc, _title(FIX_TITLE + message), region, diagnostic.range, [problem],
                [diagnostic], resolvable))
        function = regions.function_region(doc.text, doc.language_id, start)
        if function is not None and (not automatic or selected):
            actions.append(_fix_action(doc, FUNCTION_TITLE, function, params.range, [], None,
                                       resolvable))
    if wanted(EXPLAIN_KIND) and (not automatic or selected):
        actions.append(types.CodeAction(
            title=EXPLAIN_TITLE, kind=EXPLAIN_KIND,
            command=types.Command(title=EXPLAIN_TITLE, command=EXPLAIN_COMMAND,
                                  arguments=[doc.uri, range_json(params.range)])))
    return actions


def _title(text: str) -> str:
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"


def _fix_action(doc: Document, title: str, region: regions.Region, rng: types.Range,
                problems: list[dict[str, Any]], diagnostics: list[types.Diagnostic] | None,
                resolvable: bool) -> types.CodeAction:
    data = {"hearth": "fix", "uri": doc.uri, "version": doc.version, "range": range_json(rng),
            "region": range_json(lsp_range(doc, region.start, region.end)),
            "problems": problems}
    action = types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix,
                              diagnostics=diagnostics)
    if resolvable:
        action.data = data
    else:
        action.command = types.Command(title=title, command=FIX_COMMAND, arguments=[data])
    return action


def _can_resolve_edits(ls: HearthServer) -> bool:
    text_document = ls.client_capabilities.text_document
    code_action = text_document.code_action if text_document is not None else None
    support = code_action.resolve_support if code_action is not None else None
    return support is not None and "edit" in support.properties


async def _fix(ls: HearthServer, data: dict[str, Any]) -> FixOutcome:
    doc = document(ls, data.get("uri"))
    rng = parse_range(data.get("range"))
    start, end = offsets(doc, rng)
    problems = []
    for raw in data.get("problems") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("message"), str):
            raise JsonRpcInvalidParams(f"not a problem: {raw!r}")
        p_start, p_end = offsets(doc, parse_range(raw.get("range")))
        problems.append(Problem(raw["message"], p_start, p_end, str(raw.get("source") or "")))
    region = _announced_region(doc, data, start, end)
    if ls.is_private(doc.uri):
        return FixOutcome(None, "private", PRIVATE)

    request = FixRequest(text=doc.text, start=start, end=end, language_id=doc.language_id,
                         path=ls.display_path(doc.uri), problems=tuple(problems), region=region)
    version = doc.version
    try:
        result = await ls.service.fix(request, document=doc.uri)
    except ServiceUnavailable as exc:
        if exc.reason != "no-model":
            raise request_failed(str(exc)) from exc
        return FixOutcome(None, "no-model", str(exc))
    if result is None:
        return FixOutcome(None, "superseded", "a newer request replaced this one")
    if not result.ok:
        return FixOutcome(None, result.reason, result.message)
    if doc.version != version:
        return FixOutcome(None, "stale", "the document changed while the model worked; "
                                         "ask again")
    edits = [types.TextEdit(range=lsp_range(doc, e.start, e.end), new_text=e.new_text)
             for e in result.edits]
    return FixOutcome(_workspace_edit(ls, doc, edits), "ok", result.message)


def _announced_region(doc: Document, data: dict[str, Any], start: int, end: int
                      ) -> regions.Region:
    """The region the action announced, if the document is unchanged since (the fix must stay
    inside it), else the region around the range in the current text."""
    fresh = regions.fix_region(doc.text, doc.language_id, start, end)
    if data.get("version") != doc.version or data.get("region") is None:
        return fresh
    r_start, r_end = regions.line_bounds(doc.text, *offsets(doc, parse_range(data["region"])))
    for candidate in (fresh, regions.function_region(doc.text, doc.language_id, start)):
        if candidate is not None and (candidate.start, candidate.end) == (r_start, r_end):
            return candidate
    return regions.Region(r_start, r_end, "lines")


def _workspace_edit(ls: HearthServer, doc: Document, edits: list[types.TextEdit]
                    ) -> types.WorkspaceEdit:
    workspace = ls.client_capabilities.workspace
    versioned = (workspace is not None and workspace.workspace_edit is not None
                 and bool(workspace.workspace_edit.document_changes))
    if versioned:
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(
                uri=doc.uri, version=doc.version),
            edits=list(edits))])
    return types.WorkspaceEdit(changes={doc.uri: edits})
