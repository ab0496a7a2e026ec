"""The workspace index: symbols (with signatures and docstring first lines) of every source file,
and snippet windows of the files the user works in (open, or recently changed).

All parsing happens on the index's own thread: the event loop only hands it work (a scan, changed
paths, edited documents), and the model worker only reads it (under a lock, briefly).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .languages import language_for_path
from .snippets import Snippet, SnippetSource, snippet_windows
from .syntax_outline import Import, Symbol
from .syntax_trees import Parsed
from .workspace_files import FileRules

log = logging.getLogger(__name__)

RECENT_FILES = 24  # snippet sources kept (open and recently changed files)
DOCUMENT_DELAY_S = 0.3  # an edited document is re-indexed once typing pauses this long
BURST_FILES = 8  # a change to more files at once (a checkout, a generator) is not "recent work"

_JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", "/index.ts", "/index.tsx",
                  "/index.js", "/index.jsx")


@dataclass(frozen=True)
class FileEntry:
    path: str  # absolute
    rel: str  # relative to its workspace folder, as shown to the model
    language_id: str
    symbols: tuple[Symbol, ...]
    imports: tuple[Import, ...]


@dataclass(frozen=True)
class IndexStats:
    files: int
    symbols: int
    scan_ms: float | None  # the first full scan, once finished
    pending: int


ProgressCallback = Callable[[int, int], None]  # (files done, files found)


@dataclass(frozen=True)
class _Task:
    kind: str  # "walk", "recheck", "document", "changed", "scan"
    path: str = ""
    parsed: Parsed | None = None
    rel: str = ""
    recent: bool = False


class WorkspaceIndex:
    def __init__(self) -> None:
        self.rules: FileRules | None = None
        self._files: dict[str, FileEntry] = {}
        self._names: dict[str, list[tuple[str, Symbol]]] = {}
        self._stems: dict[str, set[str]] = {}  # file name without extension -> paths
        self._recent: OrderedDict[str, SnippetSource] = OrderedDict()
        self._lock = threading.Lock()  # guards the tables above
        self._work = threading.Condition()  # guards the queues below
        self._scan: deque[str] = deque()
        self._scan_total = 0
        self._changed: dict[str, bool] = {}  # path -> counts as recent work
        self._documents: dict[str, tuple[Parsed, str, float]] = {}  # path -> (snapshot, rel, due)
        self._busy = False
        self._recheck_wanted = False
        self._hiding = False  # the rules changed: queries leave out what they deny until rechecked
        self._closed = False
        self._thread: threading.Thread | None = None
        self._on_progress: ProgressCallback | None = None
        self._on_scanned: Callable[[IndexStats], None] | None = None
        self._scan_started = 0.0
        self.scan_ms: float | None = None
        self.updates = 0  # files (re)indexed, for tests and benchmarks

    # -- control (any thread) ------------------------------------------------------------------
    def start(self, rules: FileRules, on_progress: ProgressCallback | None = None,
              on_scanned: Callable[[IndexStats], None] | None = None) -> None:
        """Scan ``rules.roots`` in the background; ``on_progress`` and ``on_scanned`` are called
        on the index thread."""
        self.rules = rules
        self._on_progress = on_progress
        self._on_scanned = on_scanned
        self._scan_started = time.monotonic()
        with self._work:
            self._scan_total = -1  # still walking the folders
            self._work.notify()
        self._ensure_thread()

    def apply_exclude(self, exclude: Sequence[str]) -> None:
        """``hearth.exclude`` changed: on the index thread, forget the files it now denies and
        queue those it no longer denies; until they are forgotten, no query returns them."""
        rules = self.rules
        if rules is None:
            return  # not started: the scan will use the settings in force then
        with self._work:
            self._hiding = True
            self._recheck_wanted = True
            rules.set_exclude(exclude)
            self._work.notify()
        self._ensure_thread()

    def close(self) -> None:
        with self._work:
            self._closed = True
            self._work.notify_all()
        if self._thread is not None:
            self._thread.join(5)

    def files_changed(self, paths: Iterable[str]) -> None:
        """Paths created, modified or deleted on disk (from the watcher)."""
        paths = list(paths)
        recent = len(paths) <= BURST_FILES
        with self._work:
            for path in paths:
                self._changed[path] = recent
            self._work.notify()
        self._ensure_thread()

    def document_changed(self, path: str, parsed: Parsed) -> None:
        """An open document's new text; indexed once edits pause (typing is not re-parsed
        twice: the snapshot already has its tree)."""
        rules = self.rules
        if rules is not None and rules.denied(path):
            return
        rel = rules.relative(path) if rules is not None else os.path.basename(path)
        with self._work:
            self._documents[path] = (parsed, rel, time.monotonic() + DOCUMENT_DELAY_S)
            self._work.notify()
        self._ensure_thread()

    def document_closed(self, path: str) -> None:
        """An open document was closed: its unsaved text leaves the index, which holds the
        file on disk again, or nothing when there is none."""
        with self._work:
            self._documents.pop(path, None)
            self._changed[path] = False
            self._work.notify()
        self._ensure_thread()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or being indexed (tests and benchmarks)."""
        end = time.monotonic() + timeout
        with self._work:
            while self._busy or self._scan or self._changed or self._documents \
                    or self._scan_total < 0 or self._recheck_wanted:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._work.wait(min(left, 0.05))
        return True

    # -- queries (any thread) ------------------------------------------------------------------
    def stats(self) -> IndexStats:
        with self._lock:
            files = len(self._files)
            symbols = sum(len(entry.symbols) for entry in self._files.values())
        with self._work:
            pending = len(self._scan) + len(self._changed) + len(self._documents) \
                + int(self._busy or self._recheck_wanted)
        return IndexStats(files, symbols, self.scan_ms, pending)

    def file(self, path: str) -> FileEntry | None:
        with self._lock:
            entry = self._files.get(path)
        return None if entry is None or self._hidden(path) else entry

    def symbols_named(self, name: str) -> list[tuple[FileEntry, Symbol]]:
        with self._lock:
            found = self._names.get(name, ())
            named = [(self._files[path], symbol) for path, symbol in found
                     if path in self._files]
        return [item for item in named if not self._hidden(item[0].path)]

    def resolve_module(self, importer: str, module: str, language_id: str) -> FileEntry | None:
        """The indexed file an import statement in ``importer`` refers to, if any."""
        if not module:
            return None
        for candidate in _module_candidates(importer, module, language_id):
            entry = self.file(candidate)
            if entry is not None:
                return entry
        if language_id == "python" and not module.startswith("."):
            # An absolute module: any file whose dotted path ends with it (src layouts, etc.).
            parts = module.split(".")
            with self._lock:
                paths = sorted(self._stems.get(parts[-1], ())) + sorted(
                    self._stems.get("__init__", ()))
            for path in paths:
                entry = self.file(path)
                dotted = _dotted(entry.rel) if entry is not None else ""
                if dotted == module or dotted.endswith("." + module):
                    return entry
        return None

    def similar(self, words: frozenset[str], exclude_path: str, limit: int = 2,
                min_score: float = 0.15) -> list[Snippet]:
        """The windows of open and recent files most like ``words`` (Jaccard), best first, at
        most one per file."""
        if not words:
            return []
        with self._lock:
            sources = [s for path, s in self._recent.items() if path != exclude_path]
        sources = [s for s in sources if not self._hidden(s.path)]
        found: list[Snippet] = []
        for source in sources:
            best: Snippet | None = None
            for window in source.windows:
                shared = len(words & window.words)
                if not shared:
                    continue
                score = shared / (len(words) + len(window.words) - shared)
                if score >= min_score and (best is None or score > best.score):
                    best = Snippet(source.rel, window.start_line, window.text, score)
            if best is not None:
                found.append(best)
        found.sort(key=lambda s: (-s.score, s.rel, s.start_line))
        return found[:limit]

    def _hidden(self, path: str) -> bool:
        """Denied by rules that changed since the index was last checked against them."""
        rules = self.rules
        return self._hiding and rules is not None and rules.denied(path)

    # -- updates (index thread) ----------------------------------------------------------------
    def index_parsed(self, path: str, rel: str, parsed: Parsed, *, recent: bool) -> FileEntry:
        entry = FileEntry(path, rel, parsed.language_id, parsed.symbols, parsed.imports)
        source = SnippetSource(path, rel, snippet_windows(parsed.text)) if recent else None
        with self._lock:
            self._drop(path)
            self._files[path] = entry
            for symbol in entry.symbols:
                self._names.setdefault(symbol.name, []).append((path, symbol))
            self._stems.setdefault(_stem(path), set()).add(path)
            if source is not None:
                self._recent[path] = source
                self._recent.move_to_end(path)
                while len(self._recent) > RECENT_FILES:
                    self._recent.popitem(last=False)
            elif path in self._recent:  # still a snippet source: keep its text current
                self._recent[path] = SnippetSource(path, rel, snippet_windows(parsed.text))
        self.updates += 1
        return entry

    def index_path(self, path: str, *, recent: bool = False) -> FileEntry | None:
        """(Re-)index one file from disk; forget it (or the folder it was) if it is gone or
        not indexable."""
        rules = self.rules
        if rules is None:
            return None
        if rules.denied(path) or not rules.readable(path):
            self.remove(path)
            return None
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            self.remove(path)
            return None
        parsed = Parsed.parse(text, language_for_path(path))
        if parsed is None:
            self.remove(path)
            return None
        return self.index_parsed(path, rules.relative(path), parsed, recent=recent)

    def remove(self, path: str) -> None:
        with self._lock:
            self._drop(path)
            self._recent.pop(path, None)
            prefix = path.rstrip(os.sep) + os.sep
            for child in [p for p in self._files if p.startswith(prefix)]:  # a deleted folder
                self._drop(child)
                self._recent.pop(child, None)

    def _drop(self, path: str) -> None:
        old = self._files.pop(path, None)
        if old is None:
            return
        for symbol in old.symbols:
            bucket = self._names.get(symbol.name)
            if bucket is not None:
                bucket[:] = [item for item in bucket if item[0] != path]
                if not bucket:
                    del self._names[symbol.name]
        stems = self._stems.get(_stem(path))
        if stems is not None:
            stems.discard(path)

    def _ensure_thread(self) -> None:
        with self._work:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._loop, name="hearth-index",
                                                daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while (task := self._next()) is not None:
            try:
                if task.kind == "walk":
                    self._walk()
                elif task.kind == "recheck":
                    self._recheck()
                elif task.kind == "document" and task.parsed is not None:
                    self.index_parsed(task.path, task.rel, task.parsed, recent=True)
                elif task.kind == "changed":
                    self._apply_change(task.path, recent=task.recent)
                elif task.kind == "scan":
                    self.index_path(task.path)
                    self._scanned_one()
            except Exception:  # one bad file must not stop the index
                log.exception("indexing %s failed", task.path)
            finally:
                with self._work:
                    self._busy = False
                    self._work.notify_all()

    def _walk(self) -> None:
        assert self.rules is not None
        try:
            paths = list(self.rules.walk())
        except OSError as exc:
            log.warning("workspace scan failed: %s", exc)
            paths = []
        with self._work:
            self._scan.extend(paths)
            self._scan_total = len(paths)
        if self._on_progress is not None:
            self._on_progress(0, len(paths))
        if not paths:
            self._finish_scan()

    def _recheck(self) -> None:
        """Forget what the rules deny now; queue what they allow now and the index lacks (an
        open document's text comes from the editor, not from disk)."""
        rules = self.rules
        assert rules is not None
        with self._lock:
            known = set(self._files) | set(self._recent)
        denied = [path for path in known if rules.denied(path)]
        with self._lock:
            for path in denied:
                self._drop(path)
                self._recent.pop(path, None)
        with self._work:
            for path in [p for p in self._documents if rules.denied(p)]:
                del self._documents[path]
            self._hiding = self._recheck_wanted  # another change still to apply
        try:
            allowed = list(rules.walk())
        except OSError as exc:
            log.warning("workspace scan failed: %s", exc)
            return
        with self._lock:
            known = set(self._files)
        with self._work:
            for path in allowed:
                if path not in known and path not in self._documents:
                    self._changed.setdefault(path, False)

    def _scanned_one(self) -> None:
        with self._work:
            left = len(self._scan)
            total = self._scan_total
        done = total - left
        if self._on_progress is not None and (done % 50 == 0 or not left):
            self._on_progress(done, total)
        if not left:
            self._finish_scan()

    def _finish_scan(self) -> None:
        if self.scan_ms is None:
            self.scan_ms = (time.monotonic() - self._scan_started) * 1000
            log.info("indexed %d files in %.0f ms", len(self._files), self.scan_ms)
            if self._on_scanned is not None:
                self._on_scanned(self.stats())

    def _apply_change(self, path: str, *, recent: bool) -> None:
        rules = self.rules
        if rules is None:
            return
        if os.path.basename(path) == ".gitignore":
            rules.forget_gitignore(os.path.dirname(path))
        if os.path.isdir(path):
            if not rules.denied(path, is_dir=True):
                for directory, _dirs, files in os.walk(path):
                    for name in files:
                        self.index_path(os.path.join(directory, name))
            return
        self.index_path(path, recent=recent)  # forgets what is gone or may not be read

    def _next(self) -> _Task | None:
        """The next task: due documents first, then changes on disk, then the scan."""
        with self._work:
            while not self._closed:
                if self._scan_total < 0 and not self._busy and self.rules is not None:
                    self._busy = True
                    return _Task("walk")
                if self._recheck_wanted and self.rules is not None:
                    self._recheck_wanted = False
                    self._busy = True
                    return _Task("recheck")
                now = time.monotonic()
                due = [p for p, (_, _, when) in self._documents.items() if when <= now]
                if due:
                    parsed, rel, _ = self._documents.pop(due[0])
                    self._busy = True
                    return _Task("document", due[0], parsed, rel, recent=True)
                if self._changed:
                    path = next(iter(self._changed))
                    recent = self._changed.pop(path)
                    self._busy = True
                    return _Task("changed", path, recent=recent)
                if self._scan:
                    self._busy = True
                    return _Task("scan", self._scan.popleft())
                waits = [when - now for _, _, when in self._documents.values()]
                self._work.wait(min(waits) if waits else None)
        return None


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _dotted(rel: str) -> str:
    module = os.path.splitext(rel)[0].replace(os.sep, ".").replace("/", ".")
    return module.removesuffix(".__init__")


def _module_candidates(importer: str, module: str, language_id: str) -> Sequence[str]:
    base = os.path.dirname(importer)
    if language_id == "python":
        if module.startswith("."):
            dots = len(module) - len(module.lstrip("."))
            for _ in range(dots - 1):
                base = os.path.dirname(base)
            rest = module[dots:]
            target = os.path.join(base, *rest.split(".")) if rest else base
            return [target + ".py", target + ".pyi", os.path.join(target, "__init__.py")]
        return []  # absolute modules are matched by name (resolve_module)
    if language_id in ("javascript", "javascriptreact", "typescript", "typescriptreact") \
            and module.startswith("."):
        target = os.path.normpath(os.path.join(base, module))
        return [target] + [target + ext for ext in _JS_EXTENSIONS]
    return []
