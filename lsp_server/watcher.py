"""Changes made outside the editor (git checkout, code generators, another editor), from watchdog.

watchdog calls back on its own thread, and only for changes: reads (opened, closed without
writing) are filtered out by watchdog itself, so the first index scan reading every file wakes
nobody. Changes are collected until the file system has been quiet for ``quiet_s`` (a checkout is
one batch, not thousands of messages) and then handed to the asyncio event loop with
``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

from watchdog.events import (
    DirDeletedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from .workspace_files import SKIP_DIRS, FileRules

log = logging.getLogger(__name__)

QUIET_S = 0.02  # a burst of events becomes one batch once nothing happened for this long
MAX_WAIT_S = 0.5  # ...or after this long, so an endless stream still gets through
# What changes a file. A folder moved or created inside the tree comes with an event per file in
# it, but a folder moved out of the tree only as DirDeletedEvent.
CHANGES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
    DirDeletedEvent,
]


class Debouncer:
    """Collects paths from any thread; delivers each batch once events pause."""

    def __init__(self, deliver: Callable[[list[str]], None], quiet_s: float = QUIET_S,
                 max_wait_s: float = MAX_WAIT_S) -> None:
        self._deliver = deliver
        self.quiet_s = quiet_s
        self.max_wait_s = max_wait_s
        self._pending: dict[str, None] = {}  # ordered set
        self._first = 0.0
        self._last = 0.0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="hearth-watch-debounce",
                                        daemon=True)
        self._thread.start()

    def add(self, path: str) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending[path] = None
            self._last = now
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(2)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                now = time.monotonic()
                due = min(self._last + self.quiet_s, self._first + self.max_wait_s)
                if now < due:
                    self._cond.wait(due - now)
                    continue
                batch = list(self._pending)
                self._pending.clear()
            try:
                self._deliver(batch)
            except Exception:
                log.exception("delivering file changes failed")


class _Handler(FileSystemEventHandler):
    def __init__(self, debouncer: Debouncer) -> None:
        self._debouncer = debouncer

    def on_any_event(self, event: FileSystemEvent) -> None:
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = os.fsdecode(raw) if raw else ""
            if path and not _in_skipped_dir(path):
                self._debouncer.add(path)


def _in_skipped_dir(path: str) -> bool:
    return any(part in SKIP_DIRS for part in path.split(os.sep)[:-1])


class WorkspaceWatcher:
    """Watches the workspace folders; ``on_changes(paths)`` runs on the event loop."""

    def __init__(self, rules: FileRules, loop: asyncio.AbstractEventLoop,
                 on_changes: Callable[[list[str]], None], quiet_s: float = QUIET_S) -> None:
        self._rules = rules
        self._loop = loop
        self._on_changes = on_changes
        self._debouncer = Debouncer(self._hand_over, quiet_s)
        self._observer: Observer | None = None  # type: ignore[valid-type]

    def start(self, roots: Sequence[str] | None = None) -> None:
        observer = Observer()
        for root in roots if roots is not None else self._rules.roots:
            try:
                observer.schedule(_Handler(self._debouncer), root, recursive=True,
                                  event_filter=CHANGES)
            except OSError as exc:  # too many watches, a vanished folder...
                log.warning("cannot watch %s: %s", root, exc)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(2)
            self._observer = None
        self._debouncer.close()

    def _hand_over(self, batch: list[str]) -> None:
        """On the debouncer thread: keep what hearth may read, then pass it to the loop."""
        wanted = [path for path in batch if os.path.basename(path) == ".gitignore"
                  or not self._rules.denied(path, is_dir=os.path.isdir(path))]
        if wanted and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._on_changes, wanted)
