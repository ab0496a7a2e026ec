"""Document sync and position mapping in the three LSP encodings."""

from __future__ import annotations

import pytest

from lsp_server.documents import Document, DocumentStore, Encoding, Pos, TextChange

TEXT = "a = '😀'\nβ = \"日本語\"\r\nend\u2028still line 3\n"


@pytest.mark.parametrize(("encoding", "column"), [("utf-8", 9), ("utf-16", 7), ("utf-32", 6)])
def test_column_after_emoji(encoding: Encoding, column: int) -> None:
    doc = Document("file:///x", TEXT, encoding=encoding)
    offset = TEXT.index("'", 5)  # the closing quote after the emoji
    assert doc.position_at(offset) == Pos(0, column)
    assert doc.offset_at(Pos(0, column)) == offset


def test_only_lsp_line_breaks_count() -> None:
    doc = Document("file:///x", TEXT)
    # "\u2028" is a line separator for str.splitlines but not for LSP.
    assert doc.line_count == 4
    assert doc.line_text(2) == "end\u2028still line 3"
    assert doc.line_text(1) == 'β = "日本語"'


def test_column_inside_surrogate_pair_snaps_to_character_start() -> None:
    doc = Document("file:///x", "x😀y", encoding="utf-16")
    assert doc.offset_at(Pos(0, 2)) == 1  # between the two UTF-16 units of the emoji
    assert doc.offset_at(Pos(0, 3)) == 2


def test_out_of_range_positions_are_clamped() -> None:
    doc = Document("file:///x", "ab\ncd")
    assert doc.offset_at(Pos(0, 99)) == 2
    assert doc.offset_at(Pos(99, 0)) == 5
    assert doc.offset_at(Pos(-1, 0)) == 0
    assert doc.offset_at(Pos(1, -3)) == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_incremental_edits_with_multibyte_text(encoding: Encoding) -> None:
    store = DocumentStore()
    store.encoding = encoding
    doc = store.open("file:///x", "名前 = 1\n値 = 2\n", 1, "python")
    start = doc.position_at(0 + len("名前 = "))
    end = doc.position_at(len("名前 = 1"))
    store.change("file:///x", 2, [TextChange("'🎉'", start, end)])
    assert doc.text == "名前 = '🎉'\n値 = 2\n"
    # A second edit after the emoji, computed in the client's units.
    after = doc.position_at(doc.text.index("\n"))
    store.change("file:///x", 3, [TextChange(" # ok", after, after)])
    assert doc.text == "名前 = '🎉' # ok\n値 = 2\n"
    assert doc.version == 3


def test_full_change_and_unknown_document() -> None:
    store = DocumentStore()
    store.open("file:///x", "old", 1, "python")
    assert store.change("file:///x", 2, [TextChange("new")]) is not None
    assert store.get("file:///x") is not None and store.get("file:///x").text == "new"  # type: ignore[union-attr]
    assert store.change("file:///missing", 1, [TextChange("x")]) is None


def test_crlf_split_by_edit_is_rejoined() -> None:
    doc = Document("file:///x", "a\rb")
    doc.apply(TextChange("\n", Pos(1, 0), Pos(1, 0)))  # "\r" + "\n" now one break
    assert doc.text == "a\r\nb"
    assert doc.line_count == 2
