"""The pygls server: LSP glue around the model service.

It owns what only LSP has: the settings' sources (``initializationOptions``, the workspace
configuration), the open documents and their trees, the workspace index and watcher, and
adapters that turn the service's messages, progress and status into ``window/showMessage``,
``$/progress`` and ``hearth/status``. Features (features/*) convert each request, make one call
(to the service, or to a public helper here) and convert the answer.

Start-up: ``initialize`` answers at once; after ``initialized`` the model loads on the worker
thread with ``$/progress``, then warms up. Requests that arrive before it is ready get empty
answers immediately.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer
from pygls.workspace import Workspace

from . import __version__
from .config import Settings, merge
from .documents import DocumentStore, Encoding
from .index import WorkspaceIndex
from .protocol import HearthProtocol
from .service import Level, ModelService, NoProgress, Progress
from .syntax_trees import DocumentTrees
from .watcher import WorkspaceWatcher
from .workspace_files import private_document, relative_to_folder

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "hearth/status"
STATUS_INTERVAL_S = 1.0
_MESSAGE_TYPES = {Level.ERROR: types.MessageType.Error, Level.WARNING: types.MessageType.Warning,
                  Level.INFO: types.MessageType.Info}


class HearthServer(LanguageServer):
    def __init__(self, base_settings: Settings | None = None) -> None:
        super().__init__("hearth-lsp", __version__, protocol_cls=HearthProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.base_settings = base_settings or Settings()  # defaults, config file, CLI flags
        self.settings = self.base_settings
        self.init_options: Any = None
        self.client_settings: Any = None  # the last workspace/didChangeConfiguration's
        self.documents = DocumentStore()
        self.trees = DocumentTrees()  # each open document's syntax tree, edited incrementally
        self.trees.attach(self.documents)
        self.index = WorkspaceIndex()  # started after `initialized` (features/workspace.py)
        self.watcher: WorkspaceWatcher | None = None
        self.service = ModelService(self.settings, ClientListener(self), self.index)
        self.service.subscribe(lambda urgent: self.send_status(force=urgent))
        self.locale = "en"
        self.pending_errors: list[str] = []
        self._background: set[asyncio.Future[Any]] = set()
        self._status_sent = 0.0
        self._status_later: asyncio.TimerHandle | None = None

    # -- settings ---------------------------------------------------------------------------
    def apply_settings(self, client_settings: Any) -> list[str]:
        """Recompute the settings and hand them to the service (which reloads the model only
        if one it depends on changed); return the errors to show.

        The settings are the base ones (defaults, config file, flags) with the editor's
        applied: the last ``workspace/didChangeConfiguration`` if any came, else the
        ``initializationOptions``. Each replaces what came before, so a key the editor no
        longer sends is back at its base value; a bad value keeps the value in force.
        ``None`` (nothing new from the editor) recomputes from the last source."""
        if client_settings is not None and not isinstance(client_settings, Mapping):
            return [f"settings must be an object, got {type(client_settings).__name__}"]
        if client_settings is not None:
            self.client_settings = client_settings
        source = self.init_options if self.client_settings is None else self.client_settings
        settings, errors = merge(self.base_settings, source, keep=self.settings)
        self.settings = settings
        self._configure_logging()
        self.service.update_settings(settings)
        return errors

    def _configure_logging(self) -> None:
        level = getattr(logging, self.settings.log_level.upper(), logging.WARNING)
        logging.getLogger("lsp_server").setLevel(level)

    def set_position_encoding(self, encoding: Any) -> None:
        names: dict[Any, Encoding] = {
            types.PositionEncodingKind.Utf8: "utf-8",
            types.PositionEncodingKind.Utf16: "utf-16",
            types.PositionEncodingKind.Utf32: "utf-32",
        }
        self.documents.encoding = names.get(encoding, "utf-16")

    # -- helpers for features ---------------------------------------------------------------
    def workspace_if_ready(self) -> Workspace | None:
        """pygls' workspace, or None before ``initialize``."""
        try:
            return self.workspace
        except RuntimeError:
            return None

    def workspace_roots(self) -> list[str]:
        """The workspace folders (or the root when the client sent none), as local paths."""
        workspace = self.workspace_if_ready()
        if workspace is None:
            return []
        found = [path for folder in workspace.folders.values()
                 if (path := uris.to_fs_path(folder.uri))]
        if not found and workspace.root_path:
            found.append(workspace.root_path)
        return sorted({os.path.abspath(p) for p in found if os.path.isdir(p)})

    def display_path(self, uri: str) -> str:
        """The document's path relative to the workspace folder holding it, as shown to the
        model (its name alone outside every folder)."""
        path = uris.to_fs_path(uri)
        if path is None:
            return ""
        return relative_to_folder(path, self.workspace_roots())

    def is_private(self, uri: str) -> bool:
        """A document on the secrets deny list (built-in patterns and ``hearth.exclude``
        relative to the workspace folder holding it), by its name or by the file a symbolic
        link makes it: never given to the model, not even to count its tokens."""
        return private_document(uris.to_fs_path(uri) or uri, self.workspace_roots(),
                                self.settings.exclude)

    def in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` on the event loop without awaiting it (kept alive until done)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def begin_progress(self, title: str, message: str, *,
                             on_cancel: Callable[[], None] | None = None) -> Progress:
        """``$/progress`` for something that runs a while (a no-op for clients without it);
        with ``on_cancel`` the user may cancel it."""
        caps = self.client_capabilities.window
        if caps is None or not caps.work_done_progress:
            return NoProgress()
        token = f"hearth-{uuid.uuid4()}"
        try:
            await asyncio.wait_for(self.work_done_progress.create_async(token), 5)
        except Exception:
            return NoProgress()
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=title, message=message, cancellable=on_cancel is not None))
        cancelled = self.work_done_progress.tokens.get(token)
        if on_cancel is not None and cancelled is not None:
            loop = asyncio.get_running_loop()

            def notice(future: concurrent.futures.Future[Any]) -> None:
                if future.cancelled():
                    loop.call_soon_threadsafe(on_cancel)
            cancelled.add_done_callback(notice)
        return ClientProgress(self, token)

    # -- messages to the client -------------------------------------------------------------
    def show(self, kind: types.MessageType, message: str) -> None:
        log.log(logging.ERROR if kind == types.MessageType.Error else logging.INFO, message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def send_status(self, force: bool = False) -> None:
        """``hearth/status`` for the editor clients' status bars (at most once a second; an
        update inside that second is sent at its end, so the last latency always arrives)."""
        now = time.monotonic()
        wait = self._status_sent + STATUS_INTERVAL_S - now
        if not force and wait > 0:
            if self._status_later is None:
                with contextlib.suppress(RuntimeError):  # not on the event loop: skip it
                    self._status_later = asyncio.get_running_loop().call_later(
                        wait, self.send_status, True)
            return
        if self._status_later is not None:
            self._status_later.cancel()
            self._status_later = None
        self._status_sent = now
        self.protocol.notify(STATUS_NOTIFICATION, self.service.status())

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors outside any request (a garbled message, a failing notification handler) go to
        the log, not a pop-up per occurrence; the server keeps serving."""
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error)
        try:
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Error, message=f"hearth: internal error: {error}"))
        except Exception:
            log.debug("could not send the error to the client", exc_info=True)

    def shutdown(self) -> None:
        if self._status_later is not None:
            self._status_later.cancel()
        if self.watcher is not None:
            self.watcher.stop()
        self.index.close()
        self.service.close()
        super().shutdown()  # type: ignore[no-untyped-call]


class ClientListener:
    """The service's messages and progress, as LSP messages to the client."""

    def __init__(self, server: HearthServer) -> None:
        self.server = server

    def show(self, level: Level, message: str) -> None:
        self.server.show(_MESSAGE_TYPES[level], message)

    def log(self, level: Level, message: str) -> None:
        self.server.log(message, _MESSAGE_TYPES[level])

    async def begin_progress(self, title: str, message: str, *,
                             on_cancel: Callable[[], None] | None = None) -> Progress:
        return await self.server.begin_progress(title, message, on_cancel=on_cancel)


class ClientProgress:
    """One ``$/progress`` token."""

    def __init__(self, server: HearthServer, token: str) -> None:
        self.server = server
        self.token = token

    def report(self, message: str, percentage: int | None = None) -> None:
        self.server.work_done_progress.report(self.token, types.WorkDoneProgressReport(
            message=message, percentage=percentage))

    def end(self, message: str = "") -> None:
        self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        self.server.work_done_progress.tokens.pop(self.token, None)


def create_server(base_settings: Settings | None = None) -> HearthServer:
    from .features import register_all

    server = HearthServer(base_settings)
    register_all(server)
    return server
