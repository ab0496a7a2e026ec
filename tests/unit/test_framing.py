"""The framing reader alone: any byte stream, any split into reads."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lsp_server.framing import (
    INVALID_REQUEST,
    PARSE_ERROR,
    FrameReader,
    Message,
    Rejected,
    request_id,
)


def frame(value: Any, header: bytes = b"Content-Length: %d\r\n\r\n") -> bytes:
    body = json.dumps(value).encode()
    return header % len(body) + body


def read(*chunks: bytes, limit: int = 1024 * 1024) -> list[Message | Rejected]:
    reader = FrameReader(limit)
    return [event for chunk in chunks for event in reader.feed(chunk)]


def messages(events: list[Message | Rejected]) -> list[Any]:
    return [event.value for event in events if isinstance(event, Message)]


def test_one_frame_in_any_split() -> None:
    data = frame({"id": 1, "method": "x"}) + frame({"id": 2, "method": "y"})
    for size in (1, 2, 7, 50, len(data)):
        chunks = [data[i:i + size] for i in range(0, len(data), size)]
        assert messages(read(*chunks)) == [{"id": 1, "method": "x"}, {"id": 2, "method": "y"}]


def test_garbage_is_skipped_and_counted() -> None:
    events = read(b"\x00\xffGARBAGE" + frame({"id": 1}))
    assert messages(events) == [{"id": 1}]
    rejected = [e for e in events if isinstance(e, Rejected)]
    assert [(e.code, e.request_id) for e in rejected] == [(PARSE_ERROR, None)]
    assert "9 bytes" in rejected[0].reason


def test_other_headers_are_not_garbage() -> None:
    events = read(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
                  + frame({"id": 1}, b"Content-Length: %d\r\nX-Other: 1\r\n\r\n"))
    assert events == [Message({"id": 1})]


def test_oversized_body_is_skipped_without_being_held() -> None:
    reader = FrameReader(1000)
    body = json.dumps({"jsonrpc": "2.0", "id": 5, "method": "m",
                       "params": "x" * 500_000}).encode()
    events = reader.feed(b"Content-Length: %d\r\n\r\n" % len(body))
    for start in range(0, len(body), 1000):
        events += reader.feed(body[start:start + 1000])
        assert len(reader._buf) <= 5000  # only a tail (and the first 64 KB) is kept
    assert len(events) == 1 and isinstance(events[0], Rejected)
    assert (events[0].code, events[0].request_id) == (INVALID_REQUEST, 5)
    assert "limit of 1000 bytes" in events[0].reason
    assert reader.feed(frame({"id": 6})) == [Message({"id": 6})]


def test_oversized_body_is_reported_when_the_stream_goes_quiet() -> None:
    reader = FrameReader(1000)
    assert reader.feed(b"Content-Length: 2000000000\r\n\r\n"
                       b'{"jsonrpc": "2.0", "id": "a", "method": "m"}') == []
    assert reader.waiting
    events = reader.idle()
    assert len(events) == 1 and isinstance(events[0], Rejected)
    assert events[0].request_id == "a" and "1,907 MB" in events[0].reason
    assert reader.feed(frame({"id": 6})) == [Message({"id": 6})]


def test_declared_length_a_little_too_long() -> None:
    """The body takes the first bytes of the next header: they are given back."""
    body = json.dumps({"id": 1}).encode()
    events = read(b"Content-Length: %d\r\n\r\n" % (len(body) + 5) + body + frame({"id": 2}))
    assert events == [Message({"id": 1}), Message({"id": 2})]


def test_content_length_too_large_for_any_integer() -> None:
    events = read(b"Content-Length: " + b"9" * 99 + b"\r\n\r\n" + frame({"id": 7}))
    assert isinstance(events[0], Rejected) and "99 digits" in events[0].reason
    assert messages(events) == [{"id": 7}]


def test_body_cut_short_by_the_next_header() -> None:
    body = json.dumps({"id": 1}).encode()
    events = read(b"Content-Length: %d\r\n\r\n" % (len(body) + 100) + body + frame({"id": 2}))
    assert messages(events) == [{"id": 1}, {"id": 2}]


def test_body_longer_than_declared() -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "m", "params": [1, 2, 3]}).encode()
    events = read(b"Content-Length: %d\r\n\r\n" % (len(body) - 8) + body + frame({"id": 4}))
    assert messages(events) == [{"id": 4}]
    assert [e.request_id for e in events if isinstance(e, Rejected)] == [3, None]


def test_declared_length_too_long_for_a_body_that_is_not_json() -> None:
    for extra in range(1, 30):
        events = read(b"Content-Length: %d\r\n\r\nabcd" % (4 + extra) + frame({"id": 2}))
        assert messages(events) == [{"id": 2}], extra


def test_a_complete_body_is_used_when_the_stream_goes_quiet() -> None:
    reader = FrameReader()
    assert reader.feed(b"Content-Length: 900\r\n\r\n{\"id\": 1}") == []
    assert reader.idle() == [Message({"id": 1})]
    assert reader.feed(frame({"id": 2})) == [Message({"id": 2})]


def test_an_incomplete_body_waits_when_the_stream_goes_quiet() -> None:
    reader = FrameReader()
    assert reader.feed(b"Content-Length: 20\r\n\r\n{\"id\": ") == []
    assert reader.idle() == []
    assert reader.feed(b"1}" + b" " * 11) == [Message({"id": 1})]


def test_endless_header_lines_are_bounded() -> None:
    reader = FrameReader()
    reader.feed(b"Content-Length: 5\r\n")
    for _ in range(100):
        reader.feed(b"X-Filler: " + b"y" * 1000 + b"\r\n")
    assert len(reader._buf) < 70_000
    assert messages(reader.feed(frame({"id": 1}))) == [{"id": 1}]


def test_request_id_is_read_from_the_top_level_only() -> None:
    assert request_id(b'{"jsonrpc": "2.0", "id": 12, "method": "m", "params": {') == 12
    assert request_id(b'{"method": "m", "id": "a\\"b", "params": [') == 'a"b'
    assert request_id(b'{"params": {"id": 3, "method": "m"}, "x": ') is None
    assert request_id(b'{"id": 3, "result": ') is None  # a response: nothing to answer
    assert request_id(b'{"id": true, "method": "m"') is None
    assert request_id(b'{"method": "m", "id": 91') is None  # maybe 912, cut short
    assert request_id(b'{"method": "m", "text": "unterminated, "id": 4') is None


# Whatever comes between valid frames, and however the stream is split into reads, every valid
# frame is read. Garbage is anything without a Content-Length line (those are frames).
_LENGTH = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
garbage = st.binary(max_size=60).filter(lambda b: not _LENGTH.search(b))
headers = st.sampled_from([b"Content-Length: %d\r\n\r\n", b"content-length:%d\n\n",
                           b"Content-Length:\t%d \r\nContent-Type: x; charset=utf-8\r\n\r\n",
                           b"Content-Type: a\r\nCONTENT-LENGTH: %d\r\n\r\n"])
values = st.recursive(st.none() | st.integers() | st.text(max_size=20),
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.tuples(garbage, headers, values), max_size=6),
       cuts=st.lists(st.integers(1, 400), max_size=12))
def test_every_valid_frame_survives_garbage_between_frames(
        parts: list[tuple[bytes, bytes, Any]], cuts: list[int]) -> None:
    stream = b"".join(junk + frame({"v": value}, header) for junk, header, value in parts)
    chunks, pos = [], 0
    for cut in cuts:
        chunks.append(stream[pos:pos + cut])
        pos += cut
    chunks.append(stream[pos:])
    assert messages(read(*chunks)) == [{"v": value} for _, _, value in parts]
