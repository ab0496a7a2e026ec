"""The model service: everything between an editor's request and the engine, without LSP.

One call per job: ``complete``, ``fix``, ``explain``, ``status`` and ``subscribe`` (status
changes); ``update_settings`` and ``load_model`` for the lifecycle. It owns the worker thread
and the loaded model (``ModelHost``), decides which settings reload the model, retries an
inference server that is down at start-up, notices a model file replaced on disk, and tells its
host about messages and progress through a ``Listener`` (events.py).

All methods run on the event loop; model work runs on the worker thread, highest priority first:
a running fix or explanation gives way to a completion between tokens, and cancelling the
awaiting task (the host does so when its client cancels the request) or the progress stops the
generation within a token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, Literal, TypeVar

from ..assist import Assistant, ExplainRequest, ExplainResult, FixRequest, FixResult, Session
from ..config import Settings
from ..engines.base import CancelToken, EngineError, EngineUnavailable
from ..index import WorkspaceIndex
from ..pipeline import CompletionRequest, CompletionResult
from ..prompts import PromptError
from ..safety import screen_fix
from ..worker import Priority, Worker
from .events import Level, Listener
from .model_host import ModelHost, needs_reload
from .status import ModelStatus, status_json

log = logging.getLogger(__name__)
T = TypeVar("T")

FAILURE_REPEAT_S = 60.0  # the same engine failure is shown again after this long
RETRY_MAX_S = 60.0


class ServiceUnavailable(Exception):
    """A fix or an explanation cannot run: no model ("no-model") or broken prompt files
    ("prompts"). The message is for the user."""

    def __init__(self, reason: Literal["no-model", "prompts"], message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ModelService:
    def __init__(self, settings: Settings, listener: Listener,
                 index: WorkspaceIndex | None = None) -> None:
        self.listener = listener
        self.index = index
        self.host = ModelHost(index)
        self.host.use_settings(settings)
        self.worker = Worker()
        # Called under the worker's lock, from whichever thread submitted: defer to the loop.
        self.worker.on_restart = lambda: self._call_soon(self._worker_restarted)
        self._settings = settings
        self._subscribers: list[Callable[[bool], None]] = []
        self._background: set[asyncio.Future[Any]] = set()
        self._load_retries = 0  # consecutive start-ups that found the inference server down
        self._retry: asyncio.TimerHandle | None = None
        self._failure_shown: tuple[str, float] = ("", 0.0)  # message, when

    # -- state ------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def ready(self) -> bool:
        return self.host.ready

    @property
    def last_completion(self) -> CompletionResult | None:
        return self.host.last_completion

    def status(self) -> dict[str, object]:
        """The snapshot editors show (``hearth.status``)."""
        return status_json(self.host.status, self.worker.busy, self.worker.stats,
                           self.index.stats() if self.index is not None else None)

    def subscribe(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """``callback(urgent)`` after every status change (urgent: the state changed; otherwise
        a figure such as the last latency). Returns the function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def _changed(self, urgent: bool) -> None:
        for callback in list(self._subscribers):
            callback(urgent)

    # -- settings and the model's lifecycle ---------------------------------------------------
    def update_settings(self, settings: Settings) -> None:
        """New settings; the model is loaded again only when one it depends on changed (so a
        model that failed is tried again only when its setting changes)."""
        old, self._settings = self._settings, settings
        self.host.use_settings(settings)
        if self.host.status.state != "unloaded" and needs_reload(old, settings):
            self._load_soon()

    async def load_model(self, *, keep_working: bool = True) -> ModelStatus:
        """Load the model the settings name (after ``initialized``, or when they change)."""
        settings = self._settings
        self.host.set_loading(settings)
        self.worker.cancel_all()  # nothing queued for the old model is worth running
        self._changed(urgent=True)
        progress = await self.listener.begin_progress(
            "hearth: loading model", settings.model_path or "embedded Gemma 3 270M")
        job = self.worker.submit(
            lambda cancel: self.host.load(settings, cancel, keep_working=keep_working),
            key="model", priority=Priority.MODEL)
        try:
            status = await asyncio.wrap_future(job.future)
        finally:
            progress.end(self.host.status.message)
        self.host.use_settings(self._settings)  # changed while it loaded, maybe
        if not status.load_error:
            self._load_retries = 0
            self.listener.log(Level.INFO, f"hearth: loaded {status.model} with {status.engine}"
                              f" in {status.load_ms:.0f} ms; completion template"
                              f" {status.template}")
        elif status.state != "error":
            self.listener.show(Level.WARNING, f"hearth: {status.load_error}; still serving"
                               f" {status.model} (change the setting to try again)")
        elif self._retry_later(settings):
            self.listener.log(Level.WARNING, f"hearth: {self.host.status.message}")
        else:
            self.listener.show(Level.ERROR, f"hearth: {status.message}")
        self._changed(urgent=True)
        return status

    def _load_soon(self, keep_working: bool = True) -> None:
        self._in_background(self.load_model(keep_working=keep_working))

    def _in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _retry_later(self, settings: Settings) -> bool:
        """An inference server that is down while no model serves: try again, less and less
        often (with a model serving, only a change of the setting tries again)."""
        if not isinstance(self.host.load_error, EngineUnavailable):
            self._load_retries = 0
            return False
        delay = min(RETRY_MAX_S, 2.0 * 2 ** self._load_retries)
        self._load_retries += 1
        self.host.status = replace(self.host.status, message=(
            f"{self.host.status.message} (trying again in {delay:.0f} s)"))

        def again() -> None:
            if self._settings == settings and self.host.status.state == "error":
                self._load_soon()

        if self._retry is not None:
            self._retry.cancel()
        self._retry = asyncio.get_running_loop().call_later(delay, again)
        return True

    def _model_file_replaced(self) -> bool:
        """Notice a model file deleted or rewritten on disk; True while it is being reloaded."""
        change = self.host.model_file_change()
        if change is None:
            return False
        path = self.host.status.path
        loaded = self.host.settings
        self.host.forget_file()
        if change == "deleted" and loaded is not None and not loaded.use_mmap:
            self.listener.show(Level.WARNING, f"hearth: the model file {path} was deleted;"
                               " the copy in memory keeps serving until the model is reloaded")
            return False
        self.listener.show(Level.WARNING,
                           f"hearth: the model file {path} changed on disk; loading it again")
        self._load_soon(keep_working=False)  # the working model's file is gone
        return True

    def _call_soon(self, callback: Callable[[], None]) -> None:
        try:
            asyncio.get_running_loop().call_soon(callback)
        except RuntimeError:  # not on the event loop's thread
            log.error("model worker restarted outside the event loop")

    def _worker_restarted(self) -> None:
        self.listener.show(Level.ERROR, "hearth: the model worker stopped unexpectedly and"
                           " was restarted; the request it was running failed")
        self._changed(urgent=True)

    def _engine_failed(self, exc: EngineError) -> None:
        """A request failed in the engine (an inference server went away, say): tell the user
        once a minute per problem, keep serving; the next request tries again."""
        message = str(exc)
        self.host.record_failure(message)
        now = time.monotonic()
        last, when = self._failure_shown
        if message != last or now - when > FAILURE_REPEAT_S:
            self._failure_shown = (message, now)
            self.listener.show(Level.WARNING, f"hearth: {message}")
        else:
            log.warning("%s", message)
        self._changed(urgent=True)

    # -- jobs -------------------------------------------------------------------------------
    async def complete(self, request: CompletionRequest, *, received: float | None = None
                       ) -> CompletionResult | None:
        """The suggestion at the request's cursor, within hearth.timeBudgetMs of ``received``;
        None at once when no model is ready, and when a newer request for the same document
        replaced this one."""
        received = time.monotonic() if received is None else received
        pipeline = self.host.pipeline
        if pipeline is None or not self.host.ready:
            return None
        deadline = received + self._settings.time_budget_ms / 1000
        result = await self._run(lambda cancel: pipeline.complete(request, cancel),
                                 key=f"complete:{request.uri}", priority=Priority.COMPLETION,
                                 deadline=deadline)
        self.host.record_completion(result, (time.monotonic() - received) * 1000)
        self._changed(urgent=False)
        return result

    async def fix(self, request: FixRequest, *, document: str) -> FixResult | None:
        """A fix for the request's range (None: a newer fix for ``document`` replaced it).
        Raises ``ServiceUnavailable`` without a model or with broken prompt files."""
        session = (await self._assistant()).fix_session(request)
        if not await self._run_session(session, key=f"fix:{document}", title="hearth: fixing",
                                       message=request.path):
            return None
        result = session.result()
        # A fix that adds a process, deletion or network call the code around it does not make
        # is not offered (hearth.riskySuggestions).
        risky = screen_fix(request.text, result, request.language_id,
                           self._settings.risky_suggestions)
        if risky is not None:
            return replace(result, edits=(), reason="risky", message=risky)
        return result

    async def explain(self, request: ExplainRequest, *, document: str, hover: bool = False
                      ) -> ExplainResult | None:
        """An explanation of the request's range (None: a newer one for ``document`` replaced
        it). Hover explanations are remembered per code, language and locale until the model
        or the settings change. Raises ``ServiceUnavailable`` like ``fix``."""
        session = (await self._assistant()).explain_session(request)
        key = (session.region.text(request.text), request.language_id, request.locale)
        if hover and (known := self.host.remembered(key)) is not None:
            return replace(known, region=session.region)
        if not await self._run_session(session, key=f"{'hover' if hover else 'explain'}:"
                                       f"{document}", title="hearth: explaining",
                                       message=request.path):
            return None
        result = session.result()
        if hover and result.reason == "ok":
            self.host.remember(key, result)
        return result

    async def _assistant(self) -> Assistant:
        """The assistant for the loaded model, waiting while one loads."""
        end = time.monotonic() + self._settings.command_timeout_ms / 1000
        while self.host.status.state == "loading" and time.monotonic() < end:
            await asyncio.sleep(0.1)
        try:
            assistant = self.host.assistant() if self.host.ready else None
        except PromptError as exc:  # a broken fix.toml or explain.toml in hearth.promptsDir
            raise ServiceUnavailable("prompts", str(exc)) from exc
        if assistant is None:
            status = self.host.status
            detail = f": {status.message}" if status.state == "error" and status.message else ""
            raise ServiceUnavailable("no-model", f"no model is loaded{detail}")
        return assistant

    async def _run_session(self, session: Session, *, key: str, title: str, message: str
                           ) -> bool:
        """Drive ``session`` to its end on the worker, in steps that give way to completions,
        with cancellable progress; False if a newer request replaced it (or the engine failed,
        which has been reported)."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()

        def cancel() -> None:  # the user cancelled the progress: like $/cancelRequest
            if task is not None:
                task.cancel()

        progress = await self.listener.begin_progress(title, message, on_cancel=cancel)

        def report(tokens: int, _text: str) -> None:  # worker thread
            loop.call_soon_threadsafe(progress.report, f"{tokens} tokens")

        session.on_progress = report
        deadline = time.monotonic() + self._settings.command_timeout_ms / 1000

        def should_yield() -> bool:
            return self.worker.waiting(Priority.COMMAND)

        try:
            while True:
                done = await self._run(lambda cancel: session.advance(cancel, should_yield),
                                       key=key, priority=Priority.COMMAND, deadline=deadline)
                if done is None:
                    return False
                if done:
                    return True
        finally:
            session.on_progress = None
            progress.end()
            self._changed(urgent=False)

    async def _run(self, fn: Callable[[CancelToken], T], *, key: str | None,
                   priority: Priority, deadline: float | None = None) -> T | None:
        """``fn(cancel)`` on the worker; None if a newer job with ``key`` replaced it or the
        engine failed. Cancelling the awaiting task stops the job (within a token) and
        propagates, so the LSP request is answered with RequestCancelled."""
        if self._model_file_replaced():
            return None
        job = self.worker.submit(fn, key=key, priority=priority, deadline=deadline)
        try:
            result = await asyncio.wrap_future(job.future)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                self.worker.cancel(job)
                raise
            return None  # superseded by a newer request for the same document
        except EngineError as exc:
            self._engine_failed(exc)
            return None
        except Exception as exc:  # a bug or a native failure: this request fails, not the server
            log.exception("model request failed")
            self._engine_failed(EngineError(f"the model failed on this request ({exc})"))
            return None
        if self.host.record_success():
            self.listener.log(Level.INFO, "hearth: the inference server answers again")
            self._changed(urgent=True)
        return result

    def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
        self.worker.close()
        self.host.unload()
