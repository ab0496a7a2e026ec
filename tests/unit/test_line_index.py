"""The line index is updated edit by edit; after any edits it equals a full rescan."""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsp_server import documents
from lsp_server.documents import SCAN_CHUNK, Document, LineIndex, Pos, TextChange

PIECES = st.sampled_from(["a", "bc", " ", "\n", "\r", "\r\n", "\n\r", "é", "😀", "\u2028",
                          "\ud800"])
TEXT = st.lists(PIECES, max_size=30).map("".join)


def rescan(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


@settings(max_examples=300, deadline=None)
@given(initial=TEXT, edits=st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 8), TEXT),
                                    min_size=1, max_size=25))
def test_edited_index_equals_a_full_rescan(initial: str,
                                           edits: list[tuple[int, int, str]]) -> None:
    text = initial
    index = LineIndex.of(text)
    assert list(index) == rescan(text)
    for at, length, inserted in edits:
        # Any str range, including ones that split "\r\n" (a whole-document change can).
        start = at % (len(text) + 1)
        end = min(len(text), start + length)
        text = text[:start] + inserted + text[end:]
        index = index.edited(text, start, end, len(inserted))
        assert list(index) == rescan(text), (text, start, end, inserted)
    for offset in range(len(text) + 1):
        assert index.line_of(offset) == max(i for i, s in enumerate(rescan(text)) if s <= offset)


@settings(max_examples=100, deadline=None)
@given(initial=TEXT, edits=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40),
                                              st.integers(0, 40), st.integers(0, 40), TEXT),
                                    min_size=1, max_size=20))
def test_document_positions_after_edits_match_a_fresh_document(
        initial: str, edits: list[tuple[int, int, int, int, str]]) -> None:
    """Edits by LSP position keep the document's index equal to a fresh document's."""
    doc = Document("file:///x", initial, encoding="utf-16")
    for line, column, end_line, end_column, inserted in edits:
        start, end = sorted((Pos(line % (doc.line_count + 1), column),
                             Pos(end_line % (doc.line_count + 1), end_column)),
                            key=lambda p: (p.line, p.character))
        doc.apply(TextChange(inserted, start, end))
        fresh = Document("file:///y", doc.text, encoding="utf-16")
        assert list(doc.line_starts) == list(fresh.line_starts)
    for line in range(doc.line_count):
        fresh = Document("file:///y", doc.text, encoding="utf-16")
        assert doc.line_text(line) == fresh.line_text(line)


def test_chunked_scan_sees_a_pair_split_across_chunks() -> None:
    text = "a" * (SCAN_CHUNK - 1) + "\r\n" + "b\rc\u00e9\n"
    assert list(LineIndex.of(text)) == rescan(text)
    text = "é" * (SCAN_CHUNK - 1) + "\r" + "x"
    assert list(LineIndex.of(text)) == rescan(text)


def test_an_edit_costs_the_changed_text_not_the_document(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Typing into a 1,000,000-line document rescans only the typed characters: the index
    before the edit is reused (its line starts after the edit are shifted, not searched)."""
    text = "x = 1\n" * 1_000_000
    index = LineIndex.of(text)
    scanned: list[int] = []
    scan = documents._break_ends

    def spy(text: str, lo: int, hi: int) -> npt.NDArray[np.int64]:
        scanned.append(hi - lo)
        return scan(text, lo, hi)

    monkeypatch.setattr(documents, "_break_ends", spy)
    at = len(text) // 2
    edited = index.edited(text[:at] + "y\n" + text[at:], at, at, 2)
    assert scanned == [3]  # the character before the edit and the two typed
    assert len(edited) == len(index) + 1
    assert edited[-1] == index[-1] + 2
