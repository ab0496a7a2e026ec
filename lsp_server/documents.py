"""Open documents: text kept in sync with the editor, and LSP positions mapped to str offsets.

LSP lines end at "\\n", "\\r\\n" or "\\r" only (``str.splitlines`` also splits on form feeds and
Unicode separators, which would shift every position after them). Columns count code units of the
negotiated encoding: UTF-8 bytes (Neovim), UTF-16 units (VS Code) or code points (UTF-32).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from .heap import release_freed_memory

Encoding = Literal["utf-8", "utf-16", "utf-32"]

SCAN_CHUNK = 1 << 20  # characters encoded at a time when looking for line breaks
RELEASE_AFTER_CHARS = 1 << 20  # closing a document this large returns freed memory at once


@dataclass(frozen=True)
class Pos:
    """A position as the editor sends it: line and column in the negotiated code units."""

    line: int
    character: int


class Edit:
    """One applied change, in the offsets of the text it was applied to: str indices for
    hearth, UTF-8 bytes and (row, byte column) points for tree-sitter's ``Tree.edit``.

    The byte and point offsets cost a pass over the text before the change, so they are
    computed when first read: documents too large for a syntax tree never pay for them."""

    def __init__(self, old: str, start: int, end: int, inserted: str) -> None:
        self._old = old  # the text the change was applied to (shared, not copied)
        self._inserted = inserted
        self.start = start
        self.old_end = end
        self.new_end = start + len(inserted)

    def __repr__(self) -> str:
        return f"Edit(start={self.start}, old_end={self.old_end}, new_end={self.new_end})"

    @cached_property
    def start_byte(self) -> int:
        return _utf8_len(self._old[:self.start])

    @cached_property
    def old_end_byte(self) -> int:
        return self.start_byte + _utf8_len(self._old[self.start:self.old_end])

    @cached_property
    def new_end_byte(self) -> int:
        return self.start_byte + _utf8_len(self._inserted)

    @cached_property
    def start_point(self) -> tuple[int, int]:
        old, start = self._old, self.start
        line_start = old.rfind("\n", 0, start) + 1
        return old.count("\n", 0, start), _utf8_len(old[line_start:start])

    @cached_property
    def old_end_point(self) -> tuple[int, int]:
        return _end_point(self.start_point, self._old[self.start:self.old_end])

    @cached_property
    def new_end_point(self) -> tuple[int, int]:
        return _end_point(self.start_point, self._inserted)


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _end_point(start: tuple[int, int], text: str) -> tuple[int, int]:
    """The point after ``text`` inserted at ``start`` (tree-sitter rows end at "\\n")."""
    breaks = text.count("\n")
    if not breaks:
        return start[0], start[1] + _utf8_len(text)
    return start[0] + breaks, _utf8_len(text[text.rfind("\n") + 1:])


def make_edit(old: str, start: int, end: int, inserted: str) -> Edit:
    """The ``Edit`` for replacing ``old[start:end]`` with ``inserted``."""
    return Edit(old, start, end, inserted)


# -- line index ------------------------------------------------------------------------------
def _break_ends(text: str, lo: int, hi: int) -> npt.NDArray[np.int64]:
    """The offsets just after each line break ending in ``text[lo:hi]``, in order. A "\\r"
    followed by "\\n" ends nothing: the pair ends at its "\\n" (``text[hi]`` is looked at
    for that)."""
    found: list[npt.NDArray[np.int64]] = []
    for begin in range(lo, hi, SCAN_CHUNK):
        end = min(hi, begin + SCAN_CHUNK)
        chunk = text[begin:end]
        codes: npt.NDArray[np.uint8] | npt.NDArray[np.uint32]
        if chunk.isascii():
            codes = np.frombuffer(chunk.encode("ascii"), dtype=np.uint8)
        else:  # one unit per character, so positions are str offsets
            codes = np.frombuffer(chunk.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        ends = np.flatnonzero(codes == 10)
        returns = np.flatnonzero(codes == 13)
        if returns.size:
            after = returns + 1
            inside = after < codes.size
            lone = np.ones(returns.size, dtype=bool)
            lone[inside] = codes[after[inside]] != 10
            if not inside[-1]:  # the chunk ends with "\\r": what follows it decides
                lone[-1] = not (end < len(text) and text[end] == "\n")
            ends = np.union1d(ends, returns[lone])
        found.append(ends.astype(np.int64) + (begin + 1))
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


class LineIndex(Sequence[int]):
    """Where each line starts, as str offsets (line breaks are LSP's: "\\n", "\\r\\n",
    "\\r"). Immutable: a change makes a new index from the old one, rescanning only the
    changed text, so a request can keep the index of the text it was made for."""

    __slots__ = ("_starts",)

    def __init__(self, starts: npt.NDArray[np.int64]) -> None:
        self._starts = starts

    @classmethod
    def of(cls, text: str) -> LineIndex:
        return cls(np.concatenate((np.zeros(1, dtype=np.int64), _break_ends(text, 0, len(text)))))

    def edited(self, text: str, start: int, end: int, inserted: int) -> LineIndex:
        """The index of ``text``, made from this one's text by replacing ``[start, end)``
        with ``inserted`` characters."""
        starts = self._starts
        # Line starts before ``start`` and after ``end + 1`` depend only on unchanged text.
        keep = max(1, int(np.searchsorted(starts, start, "left")))
        resume = int(np.searchsorted(starts, end + 1, "left"))
        new_end = start + inserted
        middle = _break_ends(text, max(0, start - 1), new_end)
        # One new array (a huge document's index is megabytes: no temporaries).
        new = np.empty(keep + middle.size + starts.size - resume, dtype=np.int64)
        new[:keep] = starts[:keep]
        new[keep:keep + middle.size] = middle
        np.add(starts[resume:], new_end - end, out=new[keep + middle.size:])
        return LineIndex(new)

    def line_of(self, offset: int) -> int:
        """The line holding ``offset`` (a line break belongs to the line it ends)."""
        return int(np.searchsorted(self._starts, offset, "right")) - 1

    def __len__(self) -> int:
        return int(self._starts.size)

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return [int(value) for value in self._starts[index]]
        return int(self._starts[index])

    def __iter__(self) -> Iterator[int]:
        return iter(self._starts.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LineIndex):
            return bool(np.array_equal(self._starts, other._starts))
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LineIndex({self._starts.size} lines)"


def line_of(starts: Sequence[int], offset: int) -> int:
    """The line holding ``offset``, for any sorted sequence of line starts."""
    if isinstance(starts, LineIndex):
        return starts.line_of(offset)
    return bisect.bisect_right(starts, offset) - 1


@dataclass(frozen=True)
class TextChange:
    """One ``contentChanges`` entry; ``start``/``end`` are None for a whole-document change."""

    text: str
    start: Pos | None = None
    end: Pos | None = None


def _units(char: str, encoding: Encoding) -> int:
    if encoding == "utf-32":
        return 1
    code = ord(char)
    if encoding == "utf-16":
        return 2 if code > 0xFFFF else 1
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    return 3 if code < 0x10000 else 4


def column_to_index(line: str, character: int, encoding: Encoding) -> int:
    """Index into ``line`` for a column in code units; clamps, and never splits a character."""
    if character <= 0:
        return 0
    if encoding == "utf-32" or line.isascii():
        return min(character, len(line))
    units = 0
    for index, char in enumerate(line):
        units += _units(char, encoding)
        if units > character:
            return index  # the column falls inside this character: snap to its start
    return len(line)


def index_to_column(line: str, index: int, encoding: Encoding) -> int:
    """Column in code units for an index into ``line``."""
    head = line[: max(0, index)]
    if encoding == "utf-32" or head.isascii():
        return len(head)
    if encoding == "utf-16":
        return len(head.encode("utf-16-le", errors="surrogatepass")) // 2
    return len(head.encode("utf-8", errors="surrogatepass"))


class Document:
    """The editor's view of one file. Mutated only on the event-loop thread."""

    def __init__(
        self, uri: str, text: str, version: int = 0, language_id: str = "", *,
        encoding: Encoding = "utf-16",
    ) -> None:
        self.uri = uri
        self.version = version
        self.language_id = language_id
        self.encoding: Encoding = encoding
        self._text = text
        self._lines: LineIndex | None = None  # built when first needed

    @property
    def text(self) -> str:
        return self._text

    @property
    def line_starts(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex.of(self._text)
        return self._lines

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_text(self, line: int) -> str:
        """The line without its line break."""
        starts = self.line_starts
        if not 0 <= line < len(starts):
            return ""
        return self._text[starts[line]:self._line_end(starts, line)]

    def _line_end(self, starts: LineIndex, line: int) -> int:
        """Where the line's text ends (before its line break)."""
        if line + 1 >= len(starts):
            return len(self._text)
        end = starts[line + 1]
        if self._text.startswith("\r\n", end - 2) and end - 2 >= starts[line]:
            return end - 2
        return end - 1

    def offset_at(self, pos: Pos) -> int:
        """str index for an editor position, clamped into the document."""
        starts = self.line_starts
        if pos.line < 0:
            return 0
        if pos.line >= len(starts):
            return len(self._text)
        start = starts[pos.line]
        # A column counts at least one unit per character: only that much of a line matters.
        end = min(self._line_end(starts, pos.line), start + max(0, pos.character))
        return start + column_to_index(self._text[start:end], pos.character, self.encoding)

    def position_at(self, offset: int) -> Pos:
        """Editor position for a str index."""
        offset = max(0, min(offset, len(self._text)))
        starts = self.line_starts
        line = starts.line_of(offset)
        start = starts[line]
        head = self._text[start:min(offset, self._line_end(starts, line))]
        return Pos(line, index_to_column(head, len(head), self.encoding))

    def apply(self, change: TextChange) -> Edit:
        """Apply one change; return where it landed (a whole-document change spans it all)."""
        old = self._text
        if change.start is None or change.end is None:
            start, end = 0, len(old)
            self._lines = None
        else:
            start = self.offset_at(change.start)
            end = max(start, self.offset_at(change.end))
        self._text = "".join((old[:start], change.text, old[end:]))
        if self._lines is not None:
            self._lines = self._lines.edited(self._text, start, end, len(change.text))
        return Edit(old, start, end, change.text)


# Told of every open (no edits: a new text) and change (the edits, in the order applied).
ChangeListener = Callable[[Document, Sequence[Edit]], None]


class DocumentStore:
    """Open documents by URI, with listeners (syntax trees, the index, diagnostics) told of
    every change and close."""

    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self.encoding: Encoding = "utf-16"
        self._listeners: list[ChangeListener] = []
        self._close_listeners: list[Callable[[str], None]] = []

    def on_change(self, listener: ChangeListener) -> None:
        """``listener(doc, edits)`` after every open (``edits`` empty) and change."""
        self._listeners.append(listener)

    def on_close(self, listener: Callable[[str], None]) -> None:
        self._close_listeners.append(listener)

    def open(self, uri: str, text: str, version: int, language_id: str) -> Document:
        doc = Document(uri, text, version, language_id, encoding=self.encoding)
        self._docs[uri] = doc
        self._notify(doc, ())
        return doc

    def change(self, uri: str, version: int, changes: list[TextChange]) -> Document | None:
        doc = self._docs.get(uri)
        if doc is None:
            return None  # a change to a document never opened: nothing to apply it to
        edits = [doc.apply(change) for change in changes]
        doc.version = version
        self._notify(doc, edits)
        return doc

    def close(self, uri: str) -> None:
        doc = self._docs.pop(uri, None)
        if doc is None:
            return
        for listener in self._close_listeners:
            listener(uri)
        large = len(doc.text) >= RELEASE_AFTER_CHARS
        del doc
        if large:  # its copies sat in the C heap, which keeps freed memory unless told
            release_freed_memory()

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._docs.values()))

    def _notify(self, doc: Document, edits: Sequence[Edit]) -> None:
        for listener in self._listeners:
            listener(doc, edits)
