"""The model worker's scheduling: priorities, latest-wins, cancellation (fake jobs are fine
here: this is about ordering, not inference)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from lsp_server.engines.base import CancelToken
from lsp_server.worker import GiveWay, Priority, Worker


@pytest.fixture
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


def blocker(started: threading.Event, release: threading.Event):  # type: ignore[no-untyped-def]
    def run(cancel: CancelToken) -> str:
        started.set()
        while not release.is_set() and not cancel.should_stop():
            time.sleep(0.001)
        return "cancelled" if cancel.cancelled else "done"
    return run


def test_priority_order(worker: Worker) -> None:
    started, release = threading.Event(), threading.Event()
    worker.submit(blocker(started, release), priority=Priority.MODEL)
    assert started.wait(2)
    order: list[str] = []
    worker.submit(lambda c: order.append("background"), priority=Priority.BACKGROUND)
    worker.submit(lambda c: order.append("command"), priority=Priority.COMMAND)
    worker.submit(lambda c: order.append("completion"), priority=Priority.COMPLETION)
    release.set()
    assert worker.wait_idle(2)
    assert order == ["completion", "command", "background"]


def test_latest_wins_per_key(worker: Worker) -> None:
    started, release = threading.Event(), threading.Event()
    running = worker.submit(blocker(started, release), key="doc")
    assert started.wait(2)
    queued = worker.submit(lambda c: "old", key="doc")
    newest = worker.submit(lambda c: "new", key="doc")
    other = worker.submit(lambda c: "other", key="other-doc")
    assert running.future.result(2) == "cancelled"  # the running one was told to stop
    assert queued.future.cancelled()
    assert newest.future.result(2) == "new" and other.future.result(2) == "other"
    assert worker.stats.dropped == 1 and worker.stats.cancelled == 1


def test_cancel_running_job_records_stop_latency(worker: Worker) -> None:
    started, release = threading.Event(), threading.Event()
    job = worker.submit(blocker(started, release))
    assert started.wait(2)
    worker.cancel(job)
    assert job.future.result(2) == "cancelled"
    assert worker.wait_idle(2)
    assert worker.stats.last_stop_latency_ms is not None
    assert worker.stats.last_stop_latency_ms < 500


def test_failing_job_does_not_kill_the_worker(worker: Worker) -> None:
    def boom(cancel: CancelToken) -> None:
        raise RuntimeError("engine exploded")

    failed = worker.submit(boom)
    with pytest.raises(RuntimeError, match="exploded"):
        failed.future.result(2)
    assert worker.submit(lambda c: 42).future.result(2) == 42
    assert worker.alive and worker.stats.failed == 1


def test_deadline_reaches_the_job(worker: Worker) -> None:
    job = worker.submit(lambda c: c.should_stop(), deadline=time.monotonic() - 1)
    assert job.future.result(2) is True


def test_closed_worker_refuses_new_jobs() -> None:
    w = Worker()
    w.close()
    assert w.submit(lambda c: 1).future.cancelled()


def test_give_way_stops_a_long_job_when_a_completion_waits(worker: Worker) -> None:
    """A long job's token stops it as soon as a more urgent job is queued (polled at most every
    ``GiveWay.POLL_S``); the completion runs next, then the long job can resume."""
    order: list[str] = []
    started = threading.Event()

    def long_job(cancel: CancelToken) -> bool:
        token = GiveWay(cancel, lambda: worker.waiting(Priority.COMMAND))
        started.set()
        while not token.should_stop():
            time.sleep(0.001)
        order.append("gave way" if token.gave_way else "stopped")
        return token.gave_way

    job = worker.submit(long_job, priority=Priority.COMMAND)
    assert started.wait(2)
    completion = worker.submit(lambda c: order.append("completion"), priority=Priority.COMPLETION)
    assert job.future.result(2) is True
    completion.future.result(2)
    assert order == ["gave way", "completion"]


def test_give_way_passes_cancel_and_deadline_through() -> None:
    parent = CancelToken(deadline=time.monotonic() + 60)
    token = GiveWay(parent, lambda: False)
    assert not token.should_stop() and token.deadline == parent.deadline
    token.cancel()
    assert parent.cancelled and token.should_stop() and token.reason() == "cancelled"
    assert not token.gave_way
