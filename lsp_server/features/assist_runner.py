"""Running a fix or an explanation for an LSP request (shared by code_actions.py and
explain.py).

It waits for a model that is still loading, shows cancellable ``$/progress`` with the tokens
generated so far, and runs the session on the worker in steps at ``Priority.COMMAND``: between
tokens the session gives way to any queued completion, so ghost text is never stuck behind a
fix. ``$/cancelRequest`` or cancelling the progress stops the generation within a token.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from ..assist import Assistant, Session
from ..documents import Document, Pos
from ..prompts import PromptError
from ..server import HearthServer
from ..worker import Priority

UINTEGER_MAX = 2**31 - 1
_assistants: dict[int, tuple[Any, Any, Assistant]] = {}  # id(server) → (engine, settings, ...)


async def ready_assistant(ls: HearthServer) -> Assistant | None:
    """The assistant for the loaded model, waiting while it loads; None if there is none."""
    end = time.monotonic() + ls.settings.command_timeout_ms / 1000
    while ls.model.status.state == "loading" and time.monotonic() < end:
        await asyncio.sleep(0.1)
    engine = ls.model.engine
    if engine is None or not ls.model.ready:
        return None
    cached = _assistants.get(id(ls))
    if cached is not None and cached[0] is engine and cached[1] == ls.settings:
        return cached[2]
    try:
        assistant = Assistant(engine, ls.settings)
    except PromptError as exc:  # a broken fix.toml or explain.toml in hearth.promptsDir
        raise JsonRpcException(str(exc), code=types.LSPErrorCodes.RequestFailed) from exc
    _assistants[id(ls)] = (engine, ls.settings, assistant)
    return assistant


def model_unavailable(ls: HearthServer) -> str:
    status = ls.model.status
    detail = f": {status.message}" if status.state == "error" and status.message else ""
    return f"no model is loaded{detail}"


async def run_session(ls: HearthServer, session: Session, *, key: str, title: str,
                      message: str) -> bool:
    """Drive ``session`` to its end on the worker; False if a newer request replaced it (or
    the engine failed, which the server has already reported)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    token = await ls._begin_progress(title, message, cancellable=True)
    if token is not None:
        cancelled = ls.work_done_progress.tokens.get(token)
        if cancelled is not None and task is not None:
            def on_cancel(future: concurrent.futures.Future[Any]) -> None:
                if future.cancelled():
                    loop.call_soon_threadsafe(task.cancel)
            cancelled.add_done_callback(on_cancel)

        def report(tokens: int, _text: str) -> None:
            loop.call_soon_threadsafe(ls.work_done_progress.report, token,
                                      types.WorkDoneProgressReport(message=f"{tokens} tokens"))
        session.on_progress = report
    deadline = time.monotonic() + ls.settings.command_timeout_ms / 1000

    def should_yield() -> bool:
        return ls.worker.waiting(Priority.COMMAND)

    try:
        while True:
            done = await ls.run_on_model(lambda cancel: session.advance(cancel, should_yield),
                                         key=key, priority=Priority.COMMAND, deadline=deadline)
            if done is None:
                return False
            if done:
                return True
    finally:
        session.on_progress = None
        if token is not None:
            ls._end_progress(token, "")
            ls.work_done_progress.tokens.pop(token, None)
        ls.send_status()


PRIVATE = ("hearth does not send this file to the model: it is on the secrets deny list"
           " (credentials, keys, .env files, or hearth.exclude)")


def refuse_private(ls: HearthServer, doc: Document) -> None:
    """An error reply for a model request on a secret file."""
    if ls.is_private(doc.uri):
        raise JsonRpcException(PRIVATE, code=types.LSPErrorCodes.RequestFailed)


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
