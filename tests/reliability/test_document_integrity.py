"""Property: after any sequence of incremental edits, in any encoding, hearth's copy of a
document equals the editor's. Positions are computed by an independent reference here."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from lsp_server.documents import DocumentStore, Encoding, Pos, TextChange

ALPHABET = st.sampled_from([*"ab yz_(){}:\t", "\n", "\r\n", "\r", "é", "日", "😀", "𝄞",
                            "\u2028", "\x0c", "\u0301"])
TEXT = st.lists(ALPHABET, max_size=40).map("".join)
ENCODINGS: list[Encoding] = ["utf-8", "utf-16", "utf-32"]


def reference_position(text: str, offset: int, encoding: Encoding) -> Pos:
    """LSP position of a str offset: lines end at \\r\\n, \\r or \\n only."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    line = max(i for i, start in enumerate(starts) if start <= offset)
    head = text[starts[line]:offset]
    if encoding == "utf-8":
        units = len(head.encode("utf-8"))
    elif encoding == "utf-16":
        units = len(head.encode("utf-16-le")) // 2
    else:
        units = len(head)
    return Pos(line, units)


def addressable(text: str, offset: int) -> int:
    """LSP cannot address the point between \\r and \\n: step back before the \\r."""
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        return offset - 1
    return offset


@settings(max_examples=150, deadline=None)
@given(initial=TEXT,
       edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 12), TEXT),
                      min_size=1, max_size=30),
       encoding=st.sampled_from(ENCODINGS))
def test_incremental_edits_keep_server_and_client_equal(
        initial: str, edits: list[tuple[int, int, str]], encoding: Encoding) -> None:
    store = DocumentStore()
    store.encoding = encoding
    client_text = initial
    doc = store.open("file:///doc.txt", initial, 1, "plaintext")
    for version, (at, length, inserted) in enumerate(edits, start=2):
        start = addressable(client_text, at % (len(client_text) + 1))
        end = addressable(client_text, min(len(client_text), start + length))
        change = TextChange(inserted, reference_position(client_text, start, encoding),
                            reference_position(client_text, end, encoding))
        client_text = client_text[:start] + inserted + client_text[end:]
        store.change(doc.uri, version, [change])
        assert doc.text == client_text
    # Position mapping agrees with the reference everywhere in the final text.
    for offset in range(len(client_text) + 1):
        offset = addressable(client_text, offset)
        position = reference_position(client_text, offset, encoding)
        assert doc.offset_at(position) == offset
        assert doc.position_at(offset) == position
