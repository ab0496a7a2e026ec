"""The workspace index: started after ``initialized`` with ``$/progress``, fed by document edits
and by watchdog for changes made outside the editor."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from ..documents import Document, Edit
from ..index import IndexStats
from ..project_context import file_path
from ..server import HearthServer  # at run time: pygls reads handler annotations
from ..watcher import WorkspaceWatcher
from ..workspace_files import FileRules

log = logging.getLogger(__name__)


def register(server: HearthServer) -> None:
    def changed(doc: Document, _edits: Sequence[Edit]) -> None:
        path = file_path(doc.uri)
        parsed = server.trees.get(doc.uri)
        if path and parsed is not None and server.index.rules is not None:
            server.index.document_changed(path, parsed)

    def closed(uri: str) -> None:  # an unsaved text must not outlive its document
        path = file_path(uri)
        if path and server.index.rules is not None:
            server.index.document_closed(path)

    server.documents.on_change(changed)
    server.documents.on_close(closed)


def start_workspace_index(ls: HearthServer) -> None:
    """Called after ``initialized``: indexing runs alongside the model load."""
    roots = ls.workspace_roots()
    if roots and ls.index.rules is None:
        ls.in_background(index_workspace(ls, roots))


async def index_workspace(ls: HearthServer, roots: list[str]) -> None:
    """Index ``roots`` on the index thread, reporting ``$/progress``; then watch them."""
    loop = asyncio.get_running_loop()
    progress = await ls.begin_progress("hearth: indexing workspace", "scanning folders")
    rules = FileRules(roots, ls.settings.exclude)  # the setting in force now, after the wait
    done = asyncio.Event()

    def report(indexed: int, total: int) -> None:  # index thread
        if loop.is_closed():
            return
        percentage = int(indexed * 100 / total) if total else 100
        loop.call_soon_threadsafe(progress.report, f"{indexed}/{total} files", percentage)

    def scanned(stats: IndexStats) -> None:  # index thread
        if not loop.is_closed():
            loop.call_soon_threadsafe(done.set)

    ls.index.start(rules, on_progress=report, on_scanned=scanned)
    hand_open_documents(ls)  # opened before the index knew its folders

    def on_disk(paths: list[str]) -> None:  # event loop
        open_files = {file_path(doc.uri) for doc in ls.documents}
        ls.index.files_changed([p for p in paths if p not in open_files])

    watcher = WorkspaceWatcher(rules, loop, on_disk)
    try:
        watcher.start()
        ls.watcher = watcher
    except OSError as exc:
        log.warning("not watching the workspace for changes: %s", exc)
    await done.wait()
    stats = ls.index.stats()
    progress.end(f"{stats.files} files, {stats.symbols} symbols")


def exclude_changed(ls: HearthServer) -> None:
    """``hearth.exclude`` changed: the index forgets what it now denies and indexes what it no
    longer denies (on its thread); an open document comes with its text in the editor."""
    if ls.index.rules is None:
        return  # not started yet: it starts with the settings in force then
    ls.index.apply_exclude(ls.settings.exclude)
    hand_open_documents(ls, missing_only=True)


def hand_open_documents(ls: HearthServer, missing_only: bool = False) -> None:
    """Give the index the open documents' text (it leaves out what its rules deny)."""
    for doc in ls.documents:
        parsed = ls.trees.get(doc.uri)
        path = file_path(doc.uri)
        if parsed is not None and path and not (missing_only and ls.index.file(path)):
            ls.index.document_changed(path, parsed)
