"""LSP base-protocol framing (``Content-Length`` headers, then a JSON body) that survives any
byte stream.

pygls' reader trusts the stream: one malformed header, stray bytes or a wrong length loses every
later message, and a huge Content-Length is allocated (or waited for) as given. This reader
instead bounds the body size and always finds the next header again:

- header names are case-insensitive, spacing is free, lines may end in ``\\r\\n`` or ``\\n``,
  ``Content-Type`` and unknown headers are accepted and ignored;
- bytes that are not a header are skipped up to the next ``Content-Length`` line, wherever it
  starts (reported as :class:`Rejected` with no id to answer);
- a body above the limit is never held: it is skipped as it streams past, and the request is
  answered with an error when its id is in the first 64 KB;
- a body cut short by the next header ends there. A ``Content-Length`` line followed by a line
  break cannot occur inside valid JSON (raw line breaks are not allowed in JSON strings), so
  seeing one means the declared length was wrong; the bytes before it are used if they are a
  complete JSON value.

Pure bytes in, events out; no pygls here (``protocol.py`` answers the events).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# A Content-Length line, wherever it starts (so stray bytes before it on the same line are
# skipped). Bounded spacing and digits keep the search linear.
_LENGTH_LINE = re.compile(rb"content-length[ \t]{0,64}:[ \t]{0,64}([0-9]{1,4096})[ \t]{0,64}\r?\n",
                          re.IGNORECASE)
_OTHER_HEADER = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+[ \t]*:[^\n]*\n")
_BLANK_LINE = re.compile(rb"[ \t]*\r?\n")
_MAX_HEADER_LINE = 4400  # longer "header" lines are not headers
_MAX_HEADER_BLOCK = 64 * 1024
_TAIL = _MAX_HEADER_LINE  # bytes kept while searching, so a header split across reads is found
_ID_SCAN = 64 * 1024  # how far into a rejected body the request id is looked for
MB = 1024 * 1024
DEFAULT_MAX_MESSAGE = 128 * MB


@dataclass(frozen=True)
class Message:
    """A frame's body as decoded JSON (any JSON value)."""

    value: Any


@dataclass(frozen=True)
class Rejected:
    """Bytes that could not be used as a message; answer ``request_id`` with ``code`` if set."""

    code: int  # JSON-RPC: -32700 ParseError or -32600 InvalidRequest
    reason: str
    request_id: int | str | None


PARSE_ERROR, INVALID_REQUEST = -32700, -32600
Event = Message | Rejected


class _Skip:
    """An oversized body being skipped: its first bytes are kept to find the request's id."""

    def __init__(self, size: str) -> None:
        self.size = size
        self.head = bytearray()
        self.reported = False

    def take(self, data: bytes | bytearray) -> None:
        room = _ID_SCAN - len(self.head)
        if room > 0:
            self.head += data[:room]

    @property
    def full(self) -> bool:
        return len(self.head) >= _ID_SCAN


class FrameReader:
    """Feed it bytes as they arrive; it returns the complete messages and rejections so far."""

    def __init__(self, max_message: int = DEFAULT_MAX_MESSAGE) -> None:
        self.max_message = max_message
        self._buf = bytearray()
        self._length = -1  # the current body's declared length, or -1 while seeking a header
        self._scanned = 0  # body bytes already searched for a following header
        self._skip: _Skip | None = None
        self._garbage = 0

    def feed(self, data: bytes) -> list[Event]:
        self._buf += data
        events: list[Event] = []
        while (event := self._next_body() if self._length >= 0 else self._next_header()):
            if not isinstance(event, bool):
                events.append(event)
        return events

    @property
    def waiting(self) -> bool:
        """Inside a body that has not all arrived (or an oversized one not yet reported)."""
        return self._length >= 0 or (self._skip is not None and not self._skip.reported)

    def idle(self) -> list[Event]:
        """No bytes came for a while. An oversized body is reported with what came of it; a
        body still short of its declared length is used if it is already a complete JSON
        value (the Content-Length was too large and the client is waiting)."""
        if self._skip is not None and not self._skip.reported:
            return [self._report_skip(self._buf)]
        last = _last_byte(self._buf)
        if self._length < 0 or not last or last not in b"}]":
            return []
        try:
            value = json.loads(bytes(self._buf))
        except (ValueError, RecursionError):
            return []
        self._buf.clear()
        self._length = -1
        return [Message(value)]

    def _next_header(self) -> Event | bool | None:
        """Read the next complete header block: True when a body starts, an event to report,
        or None when more bytes are needed."""
        buf = self._buf
        found = _LENGTH_LINE.search(buf)
        if self._skip is not None:
            return self._skip_to(found.start() if found else max(0, len(buf) - _TAIL), found)
        if found is None:
            self._trim()
            return None
        start, pos, digits = found.start(), found.end(), found.group(1)
        while True:  # the other header lines, up to the blank line
            if pos - start > _MAX_HEADER_BLOCK:
                return self._drop(pos, "a header block too long")
            newline = buf.find(b"\n", pos, pos + _MAX_HEADER_LINE)
            if newline < 0:
                if len(buf) - pos < _MAX_HEADER_LINE:
                    return None
                return self._drop(pos, "a header line too long")
            if _BLANK_LINE.fullmatch(buf, pos, newline + 1):
                pos = newline + 1
                break
            again = _LENGTH_LINE.search(buf, pos, newline + 1)
            if again is not None:  # a second Content-Length: the first was not a real header
                start, pos, digits = again.start(), again.end(), again.group(1)
                continue
            if not _OTHER_HEADER.fullmatch(buf, pos, newline + 1):
                return self._drop(pos, "a malformed header")
            pos = newline + 1
        skipped = self._note_skipped(bytes(buf[:start]))
        del buf[:pos]
        length = int(digits) if len(digits) <= 18 else None
        if length is None or length > self.max_message:
            size = f"{length / MB:,.0f} MB" if length is not None else f"{len(digits)} digits"
            self._skip = _Skip(size)
        else:
            self._length, self._scanned = length, 0
        return skipped or True

    def _skip_to(self, end: int, header: re.Match[bytes] | None) -> Event | bool | None:
        """Discard an oversized body up to ``end`` (the next header, if ``header``)."""
        skip = self._skip
        assert skip is not None
        skip.take(self._buf[:end])
        del self._buf[:end]
        if header is not None:
            self._skip = None
            return True if skip.reported else self._report(skip, b"")
        if skip.full and not skip.reported:
            return self._report(skip, b"")
        return None

    def _report_skip(self, more: bytes | bytearray) -> Event:
        assert self._skip is not None
        return self._report(self._skip, more)

    def _report(self, skip: _Skip, more: bytes | bytearray) -> Event:
        skip.reported = True
        return Rejected(INVALID_REQUEST, f"a message of {skip.size} is larger than the limit of"
                        f" {_megabytes(self.max_message)} (HEARTH_MAX_MESSAGE_MB); skipped",
                        request_id(bytes(skip.head + more)))

    def _next_body(self) -> Event | None:
        buf, length = self._buf, self._length
        cut = _following_header(buf, max(0, self._scanned - 1), min(len(buf), length))
        if cut is None and len(buf) < length:
            self._scanned = len(buf)
            return None
        end = length if cut is None else cut  # cut: the next header came before the length
        body = bytes(buf[:end])
        del buf[:end]
        self._length = -1
        return self._decode(body, cut is not None)

    def _decode(self, body: bytes, cut_short: bool) -> Event:
        try:
            return Message(json.loads(body))
        except (ValueError, RecursionError):
            pass
        # A complete value and then a few bytes (garbage, or the start of the next header when
        # the declared length was too large): the value is the message, the bytes go back.
        text = body.decode("utf-8", "surrogateescape")
        try:
            value, end = json.JSONDecoder().raw_decode(text)
            text[:end].encode("utf-8")  # the value itself must be valid UTF-8
        except (ValueError, RecursionError):
            pass
        else:
            self._buf[:0] = text[end:].encode("utf-8", "surrogateescape")
            return Message(value)
        cut = _header_cut_at_end(body)  # the same, for a body that is not JSON at all
        self._buf[:0] = body[cut:]
        why = "a message cut short by the next one (its Content-Length was wrong)" \
            if cut_short else "a message that is not valid JSON"
        return Rejected(PARSE_ERROR, why, request_id(body[:cut]))

    def _drop(self, pos: int, why: str) -> Event:
        """A header that turned out malformed: skip to ``pos`` and search on from there."""
        self._garbage += pos
        del self._buf[:pos]
        return Rejected(PARSE_ERROR, f"{why}: skipped {self._take_garbage()} bytes", None)

    def _note_skipped(self, skipped: bytes) -> Event | None:
        """Bytes before a header: nothing to report if they are only other header lines."""
        pos = 0
        while pos < len(skipped) and (
                line := _OTHER_HEADER.match(skipped, pos) or _BLANK_LINE.match(skipped, pos)):
            pos = line.end()
        self._garbage += len(skipped) - pos
        if not self._garbage:
            return None
        return Rejected(PARSE_ERROR, f"skipped {self._take_garbage()} bytes that were not a"
                        " message", None)

    def _take_garbage(self) -> int:
        count, self._garbage = self._garbage, 0
        return count

    def _trim(self) -> None:
        """No header in sight: forget all but the tail that may hold the start of one."""
        extra = len(self._buf) - _TAIL
        if extra > 0:
            del self._buf[:extra]
            self._garbage += extra


def _following_header(data: bytes | bytearray, start: int, end: int) -> int | None:
    """Where a Content-Length line ending in ``data[start:end]`` starts, if one does. Only a raw
    line feed ends one, so bodies without any (compact JSON) cost one ``find``."""
    newline = data.find(b"\n", start, end)
    while newline >= 0:
        line_start = data.rfind(b"\n", max(0, newline - _MAX_HEADER_LINE), newline) + 1
        found = _LENGTH_LINE.search(data, max(line_start, newline - _MAX_HEADER_LINE),
                                    newline + 1)
        if found is not None:
            return found.start()
        newline = data.find(b"\n", newline + 1, end)
    return None


_HEADER_NAME = re.compile(rb"content-", re.IGNORECASE)


def _header_cut_at_end(body: bytes) -> int:
    """Where a header line cut off by the end of ``body`` starts (``len(body)`` if none): the
    declared length ran into the next frame's header, which must not be lost."""
    start = max(0, len(body) - _MAX_HEADER_LINE)
    start = max(start, body.rfind(b"\n", start) + 1)
    names = [found.start() for found in _HEADER_NAME.finditer(body, start)]
    if names:
        return names[-1]
    for size in range(min(8, len(body)), 0, -1):
        if body[-size:].lower() == b"content-"[:size]:
            return len(body) - size
    return len(body)


def _last_byte(data: bytearray) -> bytes:
    """The last byte that is not JSON whitespace (b"" if none)."""
    end = len(data)
    while end > 0 and data[end - 1] in b" \t\r\n":
        end -= 1
    return bytes(data[end - 1:end])


def _megabytes(size: int) -> str:
    return f"{size // MB} MB" if size >= MB else f"{size} bytes"


_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|"|[{}\[\]:,]')


def request_id(data: bytes) -> int | str | None:
    """The id of a request (a top-level ``"id"`` next to a top-level ``"method"``; without
    one it would be a response) in the first bytes of a body that is not valid JSON, so the
    client can still be answered."""
    text = data[:_ID_SCAN]
    depth, key, found_id, has_method = 0, b"", None, False
    for token in _TOKEN.finditer(text):
        lexeme = token.group()
        if lexeme == b'"':
            break  # an unterminated string: nothing after it can be trusted
        if lexeme in (b"{", b"["):
            depth += 1
        elif lexeme in (b"}", b"]"):
            depth -= 1
            if depth <= 0:
                break  # the end of the top-level value: what follows is another matter
        elif lexeme == b":" and depth == 1 and key in (b'"id"', b'"method"'):
            value = _value_at(text, token.end())
            if key == b'"id"' and isinstance(value, int | str) and not isinstance(value, bool):
                found_id = value
            elif key == b'"method"':
                has_method = True  # a request (of any method: a wrong one is answered too)
        key = lexeme if lexeme.startswith(b'"') else b""
    return found_id if has_method else None


def _value_at(text: bytes, pos: int) -> Any:
    try:
        piece = text[pos:pos + 1024].decode("utf-8", "ignore").lstrip()
        value, end = json.JSONDecoder().raw_decode(piece)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if end < len(piece) else None  # a number cut by the end may be cut short
