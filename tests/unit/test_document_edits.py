"""The edits the document store reports to its listeners, in str, byte and point offsets."""

from __future__ import annotations

from collections.abc import Sequence

from lsp_server.documents import Document, DocumentStore, Edit, Pos, TextChange, make_edit


def test_edit_offsets_in_str_bytes_and_points() -> None:
    old = "αβ\nx = 1\n"
    edit = make_edit(old, old.index("1"), old.index("1") + 1, "'日本'\nz")
    assert (edit.start, edit.old_end, edit.new_end) == (7, 8, 13)
    assert edit.start_byte == len("αβ\nx = ".encode())
    assert edit.old_end_byte == edit.start_byte + 1
    assert edit.new_end_byte == edit.start_byte + len("'日本'\nz".encode())
    assert edit.start_point == (1, 4)
    assert edit.old_end_point == (1, 5)
    assert edit.new_end_point == (2, 1)


def test_listeners_get_each_applied_edit_and_closes() -> None:
    store = DocumentStore()
    store.encoding = "utf-16"
    seen: list[tuple[str, tuple[Edit, ...]]] = []
    closed: list[str] = []

    def listener(doc: Document, edits: Sequence[Edit]) -> None:
        seen.append((doc.text, tuple(edits)))

    store.on_change(listener)
    store.on_close(closed.append)
    store.open("file:///a", "😀ab\n", 1, "python")
    store.change("file:///a", 2, [TextChange("X", Pos(0, 2), Pos(0, 3)),
                                  TextChange("Y", Pos(0, 0), Pos(0, 0))])
    store.change("file:///a", 3, [TextChange("whole")])
    assert seen[0] == ("😀ab\n", ())
    text, edits = seen[1]
    assert text == "Y😀Xb\n"
    assert [(e.start, e.old_end, e.new_end) for e in edits] == [(1, 2, 2), (0, 0, 1)]
    assert [(e.start_byte, e.old_end_byte) for e in edits] == [(4, 5), (0, 0)]
    assert seen[2][1][0].old_end == len("Y😀Xb\n")  # a full replacement spans the old text
    store.close("file:///a")
    store.close("file:///a")  # closing twice tells the listeners once
    assert closed == ["file:///a"]
