"""Open documents: text kept in sync with the editor, and LSP positions mapped to str offsets.

LSP lines end at "\\n", "\\r\\n" or "\\r" only (``str.splitlines`` also splits on form feeds and
Unicode separators, which would shift every position after them). Columns count code units of the
negotiated encoding: UTF-8 bytes (Neovim), UTF-16 units (VS Code) or code points (UTF-32).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Pos:
    """A position as the editor sends it: line and column in the negotiated code units."""

    line: int
    character: int


@dataclass(frozen=True)
class Edit:
    """One applied change, in the offsets of the text it was applied to: str indices for
    hearth, UTF-8 bytes and (row, byte column) points for tree-sitter's ``Tree.edit``."""

    start: int
    old_end: int
    new_end: int
    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: tuple[int, int]
    old_end_point: tuple[int, int]
    new_end_point: tuple[int, int]


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
    head = old[:start]
    start_byte = _utf8_len(head)
    line_start = head.rfind("\n") + 1
    start_point = (head.count("\n"), _utf8_len(head[line_start:]))
    removed = old[start:end]
    return Edit(
        start=start, old_end=end, new_end=start + len(inserted),
        start_byte=start_byte, old_end_byte=start_byte + _utf8_len(removed),
        new_end_byte=start_byte + _utf8_len(inserted),
        start_point=start_point, old_end_point=_end_point(start_point, removed),
        new_end_point=_end_point(start_point, inserted),
    )


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
        self._line_starts: list[int] | None = None

    @property
    def text(self) -> str:
        return self._text

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(self._text)]
        return self._line_starts

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_text(self, line: int) -> str:
        """The line without its line break."""
        starts = self.line_starts
        if not 0 <= line < len(starts):
            return ""
        end = starts[line + 1] if line + 1 < len(starts) else len(self._text)
        return self._text[starts[line]:end].rstrip("\r\n")

    def offset_at(self, pos: Pos) -> int:
        """str index for an editor position, clamped into the document."""
        starts = self.line_starts
        if pos.line < 0:
            return 0
        if pos.line >= len(starts):
            return len(self._text)
        return starts[pos.line] + column_to_index(self.line_text(pos.line), pos.character,
                                                  self.encoding)

    def position_at(self, offset: int) -> Pos:
        """Editor position for a str index."""
        offset = max(0, min(offset, len(self._text)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line]
        line_text = self.line_text(line)
        return Pos(line, index_to_column(line_text, offset - start, self.encoding))

    def apply(self, change: TextChange) -> Edit:
        """Apply one change; return where it landed (a whole-document change spans it all)."""
        if change.start is None or change.end is None:
            start, end = 0, len(self._text)
        else:
            start = self.offset_at(change.start)
            end = max(start, self.offset_at(change.end))
        edit = make_edit(self._text, start, end, change.text)
        self._text = self._text[:start] + change.text + self._text[end:]
        self._line_starts = None
        return edit


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
        if self._docs.pop(uri, None) is not None:
            for listener in self._close_listeners:
                listener(uri)

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._docs.values()))

    def _notify(self, doc: Document, edits: Sequence[Edit]) -> None:
        for listener in self._listeners:
            listener(doc, edits)
