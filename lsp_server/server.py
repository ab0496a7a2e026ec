"""The pygls server: owns the settings, the open documents, the worker and the model.

Start-up: ``initialize`` answers at once; after ``initialized`` the model loads on the worker
thread with ``$/progress``, then warms up. Requests that arrive before it is ready get empty
answers immediately.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import replace
from typing import Any, TypeVar

from lsprotocol import types
from lsprotocol.types import ResponseError
from pygls import uris
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from . import __version__
from .config import Settings, merge
from .documents import DocumentStore, Encoding
from .engines.base import EngineError, EngineUnavailable
from .handler_futures import ForgetFinishedHandlers
from .index import WorkspaceIndex
from .model_host import ModelHost, ModelStatus
from .syntax import DocumentTrees
from .watcher import WorkspaceWatcher
from .worker import Job, Priority, Worker
from .workspace_files import excluded, is_secret

log = logging.getLogger(__name__)
T = TypeVar("T")

STATUS_NOTIFICATION = "hearth/status"
# Settings whose change needs the model loaded again.
_RELOAD_KEYS = ("model_path", "engine", "model_type", "threads", "context_size", "use_mmap",
                "model_sha256", "completion_template", "prompts_dir", "server_url", "api_key_env",
                "ca_bundle", "server_model", "server_api", "server_connect_timeout_ms",
                "server_read_timeout_ms")


class _Rejected:
    """A message that could not be read; already answered (or ignorable)."""

    jsonrpc = ""


class HearthProtocol(ForgetFinishedHandlers, LanguageServerProtocol):
    """Document sync goes to hearth's own store (LSP line breaks, per-encoding columns),
    not pygls's workspace, so each change is applied once. Malformed messages are answered
    with an error instead of being dropped (a client would wait forever for the reply)."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except (JsonRpcInvalidParams, JsonRpcInternalError):
            if isinstance(data.get("method"), str) and isinstance(data.get("id"), int | str):
                self._send_response(data["id"], error=ResponseError(
                    code=JsonRpcInvalidParams.CODE,
                    message=f"invalid params for {data['method']}"))
            return _Rejected()

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Rejected) or not hasattr(message, "jsonrpc"):
            log.warning("ignoring a message that is not a JSON-RPC object")
            return
        super().handle_message(message)

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
        self.trees = DocumentTrees()  # each open document's syntax tree, edited incrementally
        self.trees.attach(self.documents)
        self.index = WorkspaceIndex()  # started after `initialized` (features/workspace.py)
        self.watcher: WorkspaceWatcher | None = None
        self.worker = Worker()
        # Called under the worker's lock, from whichever thread submitted: defer to the loop.
        self.worker.on_restart = lambda: self._call_soon(self._worker_restarted)
        self.model = ModelHost(self.index)
        self.locale = "en"
        self.pending_errors: list[str] = []
        self._background: set[asyncio.Future[Any]] = set()
        self._status_sent = 0.0
        self._status_later: asyncio.TimerHandle | None = None
        self._load_retries = 0  # consecutive start-ups that found the inference server down
        self._retry: asyncio.TimerHandle | None = None
        self._failure_shown: tuple[str, float] = ("", 0.0)  # message, when

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

    def is_private(self, uri: str) -> bool:
        """A document on the secrets deny list (built-in patterns and ``hearth.exclude``): it is
        never given to the model, not even to count its tokens."""
        path = uris.to_fs_path(uri) or uri
        return is_secret(path) or excluded(self.display_path(uri), self.settings.exclude)

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
            if self._retry_load_later(settings):
                self.log(f"hearth: {self.model.status.message}", types.MessageType.Warning)
            else:
                self.show(types.MessageType.Error, f"hearth: {status.message}")
        else:
            self._load_retries = 0
            self.log(f"hearth: loaded {status.model} with {status.engine} in "
                     f"{status.load_ms:.0f} ms; completion template {status.template}")
        self.send_status(force=True)
        return status

    async def _begin_progress(self, title: str, message: str, cancellable: bool = False
                              ) -> str | None:
        caps = self.client_capabilities.window
        if caps is None or not caps.work_done_progress:
            return None
        token = f"hearth-{uuid.uuid4()}"
        try:
            await asyncio.wait_for(self.work_done_progress.create_async(token), 5)
        except Exception:
            return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=title, message=message, cancellable=cancellable))
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
        if self._model_file_replaced():
            return None
        job: Job[T] = self.worker.submit(fn, key=key, priority=priority, deadline=deadline)
        try:
            result = await asyncio.wrap_future(job.future)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                self.worker.cancel(job)
                raise
            return None  # superseded by a newer request for the same document
        except EngineError as exc:
            self.engine_failed(exc)
            return None
        except Exception as exc:  # a bug or a native failure: this request fails, not the server
            log.exception("model request failed")
            self.engine_failed(EngineError(f"the model failed on this request ({exc})"))
            return None
        if self.model.record_success():
            self.log("hearth: the inference server answers again")
            self.send_status(force=True)
        return result

    def _model_file_replaced(self) -> bool:
        """Notice a model file deleted or rewritten on disk; True while it is being reloaded."""
        change = self.model.model_file_change()
        if change is None:
            return False
        path = self.model.status.path
        if change == "deleted" and not self.settings.use_mmap:
            self.model.forget_file()
            self.show(types.MessageType.Warning, f"hearth: the model file {path} was deleted;"
                      " the copy in memory keeps serving until the model is reloaded")
            return False
        self.show(types.MessageType.Warning,
                  f"hearth: the model file {path} changed on disk; loading it again")
        self.model.forget_file()
        self.start_model_load()
        return True

    def _call_soon(self, callback: Callable[[], None]) -> None:
        try:
            asyncio.get_running_loop().call_soon(callback)
        except RuntimeError:  # not on the event loop's thread
            log.error("model worker restarted outside the event loop")

    def _worker_restarted(self) -> None:
        self.show(types.MessageType.Error, "hearth: the model worker stopped unexpectedly and"
                  " was restarted; the request it was running failed")
        self.send_status(force=True)

    def engine_failed(self, exc: EngineError) -> None:
        """A request failed in the engine (an inference server went away, say): tell the user
        once a minute per problem, keep serving; the next request tries again."""
        message = str(exc)
        self.model.record_failure(message)
        now = time.monotonic()
        last, when = self._failure_shown
        if message != last or now - when > 60:
            self._failure_shown = (message, now)
            self.show(types.MessageType.Warning, f"hearth: {message}")
        else:
            log.warning("%s", message)
        self.send_status(force=True)

    def _retry_load_later(self, settings: Settings) -> bool:
        """An inference server that is down at start-up: try again, less and less often."""
        if not isinstance(self.model.load_error, EngineUnavailable):
            self._load_retries = 0
            return False
        delay = min(60.0, 2.0 * 2 ** self._load_retries)
        self._load_retries += 1
        self.model.status = replace(self.model.status, message=(
            f"{self.model.status.message} (trying again in {delay:.0f} s)"))

        def again() -> None:
            if self.settings == settings and self.model.status.state == "error":
                self.start_model_load()

        if self._retry is not None:
            self._retry.cancel()
        self._retry = asyncio.get_running_loop().call_later(delay, again)
        return True

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
        wait = self._status_sent + 1.0 - now
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
            workerRestarts=stats.restarts,
            lastStopLatencyMs=None if stats.last_stop_latency_ms is None
            else round(stats.last_stop_latency_ms, 2),
        )
        index = self.index.stats()
        data["index"] = {"files": index.files, "symbols": index.symbols, "pending": index.pending,
                         "scanMs": None if index.scan_ms is None else round(index.scan_ms, 1)}
        return data

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
        if self._retry is not None:
            self._retry.cancel()
        if self.watcher is not None:
            self.watcher.stop()
        self.index.close()
        self.worker.close()
        self.model.unload()
        super().shutdown()  # type: ignore[no-untyped-call]


def create_server(base_settings: Settings | None = None) -> HearthServer:
    from .features import register_all

    server = HearthServer(base_settings)
    register_all(server)
    return server
