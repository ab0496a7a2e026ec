"""watchdog → debounce → the event loop: real file-system events in a temporary workspace."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest
from watchdog.events import FileSystemEvent

from lsp_server.watcher import Debouncer, WorkspaceWatcher, _Handler
from lsp_server.workspace_files import FileRules


def test_debouncer_batches_a_burst_and_delivers_once_quiet() -> None:
    batches: list[list[str]] = []
    delivered = threading.Event()

    def deliver(batch: list[str]) -> None:
        batches.append(batch)
        delivered.set()

    debouncer = Debouncer(deliver, quiet_s=0.05, max_wait_s=5)
    try:
        for i in range(100):
            debouncer.add(f"/w/{i % 10}.py")
        assert delivered.wait(5)
        time.sleep(0.15)
        assert batches == [[f"/w/{i}.py" for i in range(10)]]  # one batch, each path once
    finally:
        debouncer.close()


def test_debouncer_max_wait_lets_an_endless_stream_through() -> None:
    batches: list[list[str]] = []
    debouncer = Debouncer(batches.append, quiet_s=0.2, max_wait_s=0.1)
    try:
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            debouncer.add("/w/busy.py")
            time.sleep(0.01)
        assert batches, "events never paused for quiet_s, yet max_wait_s must deliver"
    finally:
        debouncer.close()


async def test_watcher_hands_filtered_changes_to_the_event_loop(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "node_modules").mkdir(parents=True)
    (root / ".gitignore").write_text("ignored.py\n")
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    threads: set[str] = set()
    got = asyncio.Event()

    def on_changes(paths: list[str]) -> None:
        threads.add(threading.current_thread().name)
        seen.extend(paths)
        got.set()

    watcher = WorkspaceWatcher(FileRules([str(root)]), loop, on_changes)
    watcher.start()
    try:
        await asyncio.sleep(0.2)  # the observer is running
        (root / ".env").write_text("KEY=1\n")
        (root / "node_modules" / "x.js").write_text("x\n")
        (root / "ignored.py").write_text("x = 1\n")
        (root / "app.py").write_text("x = 1\n")
        await asyncio.wait_for(got.wait(), 5)
        await asyncio.sleep(0.3)
        assert str(root / "app.py") in seen
        assert not any(p.endswith((".env", "x.js", "ignored.py")) for p in seen), seen
        assert threads == {threading.current_thread().name}  # delivered on the loop's thread
    finally:
        watcher.stop()


async def test_reading_files_calls_nobody_back(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The first index scan reads every file while the watcher runs: those reads must not
    reach hearth at all (watchdog filters them before its callback), while changes still do."""
    root = tmp_path / "ws"
    root.mkdir()
    for i in range(2000):
        (root / f"m{i}.py").write_text(f"x = {i}\n")
    calls: list[str] = []
    dispatch = _Handler.dispatch

    def counting(self: _Handler, event: FileSystemEvent) -> None:
        calls.append(event.event_type)
        dispatch(self, event)

    monkeypatch.setattr(_Handler, "dispatch", counting)
    seen: list[str] = []
    got = asyncio.Event()

    def on_changes(paths: list[str]) -> None:
        seen.extend(paths)
        got.set()

    watcher = WorkspaceWatcher(FileRules([str(root)]), asyncio.get_running_loop(), on_changes)
    watcher.start()
    try:
        await asyncio.sleep(0.2)
        for i in range(2000):
            (root / f"m{i}.py").read_text()
        await asyncio.sleep(0.5)
        assert len(calls) == 0, f"{len(calls)} callbacks for reads: {set(calls)}"
        (root / "m7.py").write_text("x = 'changed'\n")
        await asyncio.wait_for(got.wait(), 5)
        assert seen == [str(root / "m7.py")]
        assert calls and set(calls) <= {"modified", "closed"}
    finally:
        watcher.stop()


async def test_a_folder_moved_out_of_the_workspace_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("x = 1\n")
    seen: list[str] = []
    got = asyncio.Event()

    def on_changes(paths: list[str]) -> None:
        seen.extend(paths)
        got.set()

    watcher = WorkspaceWatcher(FileRules([str(root)]), asyncio.get_running_loop(), on_changes)
    watcher.start()
    try:
        await asyncio.sleep(0.2)
        os.rename(root / "pkg", tmp_path / "pkg")  # no event for the files inside
        await asyncio.wait_for(got.wait(), 5)
        await asyncio.sleep(0.3)
        assert str(root / "pkg") in seen  # the index forgets everything under it
    finally:
        watcher.stop()
