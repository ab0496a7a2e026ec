"""The pygls server: owns the settings, the open documents, the worker and the model.

Start-up: ``initialize`` answers at once; after ``initialized`` the model loads on the worker
thread with ``$/progress``, then warms up. Requests that arrive before it is ready get empty
answers immediately.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from . import __version__
from .config import Settings, merge
from .documents import DocumentStore, Encoding
from .model_host import ModelHost, ModelStatus
from .worker import Job, Priority, Worker

log = logging.getLogger(__name__)
T = TypeVar("T")

STATUS_NOTIFICATION = "hearth/status"
# Settings whose change needs the model loaded again.
_RELOAD_KEYS = ("model_path", "engine", "model_type", "threads", "context_size", "model_sha256",
                "completion_template", "prompts_dir", "server_url", "api_key_env", "ca_bundle")


class HearthProtocol(LanguageServerProtocol):
    """Document sync goes to hearth's own store (LSP line breaks, per-encoding columns),
    not pygls's workspace, so each change is applied once."""

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams
                                    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams
                                      ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams
                                     ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class HearthServer(LanguageServer):
    def __init__(self, base_settings: Settings | None = None) -> None:
        super().__init__("hearth-lsp", __version__, protocol_cls=HearthProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.base_settings = base_settings or Settings()  # defaults, config file, CLI flags
        self.settings = self.base_settings
        self.init_options: Any = None
        self.documents = DocumentStore()
        self.worker = Worker()
        self.model = ModelHost()
        self.locale = "en"
        self.pending_errors: list[str] = []
        self._background: set[asyncio.Future[Any]] = set()
        self._status_sent = 0.0

    # -- settings ---------------------------------------------------------------------------
    def apply_settings(self, workspace_settings: Any) -> list[str]:
        """Recompute settings from every source; return the errors to show."""
        settings, errors = merge(self.base_settings, self.init_options)
        settings, more = merge(settings, workspace_settings)
        old, self.settings = self.settings, settings
        self._configure_logging()
        if self.model.status.state != "unloaded" and any(
                getattr(old, key) != getattr(settings, key) for key in _RELOAD_KEYS):
            self.start_model_load()
        elif self.model.pipeline is not None:
            self.model.pipeline.settings = settings
        return errors + more

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

    def display_path(self, uri: str) -> str:
        """The document's path relative to the workspace, as shown to the model."""
        path = uris.to_fs_path(uri)
        if path is None:
            return ""
        root = self.workspace.root_path if self.protocol._workspace is not None else None
        if root and os.path.commonpath([root, path]) == root:
            return os.path.relpath(path, root)
        return os.path.basename(path)

    # -- model lifecycle --------------------------------------------------------------------
    def start_model_load(self) -> None:
        task = asyncio.ensure_future(self.load_model())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def load_model(self) -> ModelStatus:
        settings = self.settings
        self.model.set_loading(settings)
        self.worker.cancel_all()  # nothing queued for the old model is worth running
        self.send_status(force=True)
        progress = await self._begin_progress("hearth: loading model", settings.model_path
                                              or "embedded Gemma 3 270M")
        job = self.worker.submit(lambda cancel: self.model.load(settings, cancel),
                                 key="model", priority=Priority.MODEL)
        try:
            status = await asyncio.wrap_future(job.future)
        finally:
            self._end_progress(progress, self.model.status.message)
        if status.state == "error":
            self.show(types.MessageType.Error, f"hearth: {status.message}")
        else:
            self.log(f"hearth: loaded {status.model} with {status.engine} in "
                     f"{status.load_ms:.0f} ms; completion template {status.template}")
        self.send_status(force=True)
        return status

    async def _begin_progress(self, title: str, message: str) -> str | None:
        caps = self.client_capabilities.window
        if caps is None or not caps.work_done_progress:
            return None
        token = f"hearth-{uuid.uuid4()}"
        try:
            await asyncio.wait_for(self.work_done_progress.create_async(token), 5)
        except Exception:
            return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=title, message=message, cancellable=False))
        return token

    def _end_progress(self, token: str | None, message: str) -> None:
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))

    # -- running model work -----------------------------------------------------------------
    async def run_on_model(self, fn: Callable[[Any], T], *, key: str | None,
                           priority: Priority, deadline: float | None = None) -> T | None:
        """Run ``fn(cancel)`` on the worker; ``None`` if a newer request replaced it.

        When the client cancels the request (``$/cancelRequest``) the generation is stopped and
        the cancellation propagates, so pygls answers with RequestCancelled.
        """
        job: Job[T] = self.worker.submit(fn, key=key, priority=priority, deadline=deadline)
        try:
            return await asyncio.wrap_future(job.future)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                self.worker.cancel(job)
                raise
            return None  # superseded by a newer request for the same document

    # -- messages to the client -------------------------------------------------------------
    def show(self, kind: types.MessageType, message: str) -> None:
        log.log(logging.ERROR if kind == types.MessageType.Error else logging.INFO, message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def send_status(self, force: bool = False) -> None:
        """``hearth/status`` for the editor clients' status bars (at most once a second)."""
        now = time.monotonic()
        if not force and now - self._status_sent < 1.0:
            return
        self._status_sent = now
        self.protocol.notify(STATUS_NOTIFICATION, self.status_json())

    def status_json(self) -> dict[str, object]:
        data = self.model.status.as_json()
        stats = self.worker.stats
        data.update(
            version=__version__,
            busy=self.worker.busy,
            generations={"started": stats.started, "completed": stats.completed,
                         "cancelled": stats.cancelled, "dropped": stats.dropped,
                         "failed": stats.failed},
            lastStopLatencyMs=None if stats.last_stop_latency_ms is None
            else round(stats.last_stop_latency_ms, 2),
        )
        return data

    def shutdown(self) -> None:
        self.worker.close()
        self.model.unload()
        super().shutdown()  # type: ignore[no-untyped-call]


def create_server(base_settings: Settings | None = None) -> HearthServer:
    from .features import register_all

    server = HearthServer(base_settings)
    register_all(server)
    return server
