"""The one thread that owns the model.

Jobs run one at a time, highest priority first (completions before fixes and explanations, those
before background prefill). Jobs sharing a ``key`` are latest-wins: submitting a new one drops the
queued one and cancels the running one, which the engine notices within one token, also during
prompt evaluation.
"""

from __future__ import annotations

import concurrent.futures
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Generic, TypeVar

from . import faults
from .engines.base import CancelToken, EngineError, StopReason

log = logging.getLogger(__name__)
T = TypeVar("T")


class Priority(IntEnum):
    MODEL = 0  # loading or replacing the model
    COMPLETION = 1
    COMMAND = 2  # fixes, explanations
    BACKGROUND = 3  # prefill and other idle work


@dataclass
class Job(Generic[T]):
    fn: Callable[[CancelToken], T]
    key: str | None
    priority: Priority
    cancel: CancelToken
    future: concurrent.futures.Future[T] = field(default_factory=concurrent.futures.Future)
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None


@dataclass
class WorkerStats:
    started: int = 0
    completed: int = 0
    cancelled: int = 0  # stopped while running
    dropped: int = 0  # replaced or cancelled before they started
    failed: int = 0
    restarts: int = 0  # times the thread died and a new one took over
    last_stop_latency_ms: float | None = None  # cancel() to the job returning


class Worker:
    def __init__(self, name: str = "hearth-model") -> None:
        self._queue: list[tuple[int, int, Job[Any]]] = []
        self._seq = itertools.count()
        self._lock = threading.Condition()
        self._running: Job[Any] | None = None
        self._closed = False
        self.stats = WorkerStats()
        self.on_restart: Callable[[], None] | None = None  # told when a dead thread is replaced
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._running is not None

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(
        self,
        fn: Callable[[CancelToken], T],
        *,
        key: str | None = None,
        priority: Priority = Priority.COMPLETION,
        deadline: float | None = None,
    ) -> Job[T]:
        job: Job[T] = Job(fn, key, priority, CancelToken(deadline))
        with self._lock:
            if self._closed:
                job.future.cancel()
                return job
            self._ensure_thread()
            if key is not None:
                self._supersede(key)
            heapq.heappush(self._queue, (int(priority), next(self._seq), job))
            self._lock.notify()
        return job

    def cancel(self, job: Job[Any]) -> None:
        """Stop a job: drop it if queued, or signal it to stop if running."""
        with self._lock:
            if job.future.cancel():
                self.stats.dropped += 1
            job.cancel.cancel()

    def waiting(self, above: Priority) -> bool:
        """Whether a job more urgent than ``above`` is queued: a long job gives way to it."""
        with self._lock:
            return any(priority < above and not job.future.done()
                       for priority, _, job in self._queue)

    def cancel_all(self, predicate: Callable[[Job[Any]], bool] = lambda job: True) -> None:
        with self._lock:
            for _, _, job in self._queue:
                if predicate(job) and job.future.cancel():
                    self.stats.dropped += 1
            if self._running is not None and predicate(self._running):
                self._running.cancel.cancel()

    def _supersede(self, key: str) -> None:
        for _, _, queued in self._queue:
            if queued.key == key and queued.future.cancel():
                self.stats.dropped += 1
        running = self._running
        if running is not None and running.key == key:
            running.cancel.cancel()

    def close(self, timeout: float = 5.0) -> None:
        self.cancel_all()
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no job is queued or running (for tests and benchmarks)."""
        end = time.monotonic() + timeout
        with self._lock:
            while self._running is not None or any(not j.future.done() for _, _, j in self._queue):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.05))
        return True

    def _next(self) -> Job[Any] | None:
        with self._lock:
            while True:
                while self._queue and self._queue[0][2].future.done():
                    heapq.heappop(self._queue)  # dropped while queued
                if self._queue:
                    _, _, job = heapq.heappop(self._queue)
                    if job.future.set_running_or_notify_cancel():
                        self._running = job
                        return job
                    continue
                if self._closed:
                    return None
                self._lock.wait()

    def _loop(self) -> None:
        try:
            while (job := self._next()) is not None:
                if faults.hit("worker.job"):
                    raise SystemExit("fault injected: worker thread exits")
                self._run(job)
        except BaseException:
            # Only a bug in the worker itself gets here; the job in hand must not hang its caller.
            log.exception("the model worker thread stopped")
            with self._lock:
                running, self._running = self._running, None
                if running is not None and not running.future.done():
                    running.future.set_exception(RuntimeError("the model worker stopped"))
                self._lock.notify_all()

    def _ensure_thread(self) -> None:
        """Replace a dead worker thread (called with the lock held)."""
        if self._thread.is_alive() or self._closed:
            return
        self.stats.restarts += 1
        log.error("restarting the model worker thread (restart %d)", self.stats.restarts)
        self._thread = threading.Thread(target=self._loop, name=self._thread.name, daemon=True)
        self._thread.start()
        if self.on_restart is not None:
            self.on_restart()

    def _run(self, job: Job[Any]) -> None:
        job.started = time.monotonic()
        self.stats.started += 1
        failure: BaseException | None = None
        result: Any = None
        try:
            result = job.fn(job.cancel)
        except BaseException as exc:  # the worker must outlive any job
            failure = exc
            self.stats.failed += 1
            if isinstance(exc, EngineError):  # reported to the user; no traceback needed
                log.warning("model job failed: %s", exc)
            else:
                log.exception("model job failed")
        job.finished = time.monotonic()
        if job.cancel.cancelled:
            self.stats.cancelled += 1
            if job.cancel.cancelled_at is not None:
                self.stats.last_stop_latency_ms = (job.finished - job.cancel.cancelled_at) * 1000
        else:
            self.stats.completed += 1
        with self._lock:
            self._running = None
            self._lock.notify_all()
        # Resolved last, so whoever awaits it already sees the statistics and an idle worker.
        if failure is not None:
            job.future.set_exception(failure)
        else:
            job.future.set_result(result)


class GiveWay(CancelToken):
    """The token for one step of a long job: it stops the engine on a cancel or the deadline,
    and also as soon as a more urgent job waits (the engine polls it between tokens and during
    evaluation; ``should_yield`` is asked at most every ``POLL_S``)."""

    POLL_S = 0.005

    def __init__(self, cancel: CancelToken, should_yield: Callable[[], bool]) -> None:
        super().__init__(cancel.deadline)
        self.parent = cancel
        self._should_yield = should_yield
        self.gave_way = False
        self._next_poll = 0.0

    def cancel(self) -> None:
        self.parent.cancel()

    @property
    def cancelled(self) -> bool:
        return self.parent.cancelled

    def should_stop(self) -> bool:
        if self.parent.should_stop():
            return True
        if not self.gave_way:
            now = time.monotonic()
            if now >= self._next_poll:
                self._next_poll = now + self.POLL_S
                self.gave_way = self._should_yield()
        return self.gave_way

    def reason(self) -> StopReason:
        return self.parent.reason() if self.parent.should_stop() else "cancelled"

    def wait(self, timeout: float | None) -> bool:
        return self.parent.wait(timeout)
