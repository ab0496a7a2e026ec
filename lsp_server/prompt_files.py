"""Reading prompt files with limits. A prompts folder is the user's to fill, and whatever is in
it must not hang or exhaust the server: only regular files are read (a FIFO would block the
reader for ever), up to a size (the bundled files are a few KB), with bounded TOML nesting (the
parser recurses once per level) and within a time limit (a network file system that hangs)."""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

MAX_BYTES = 256 * 1024
MAX_NESTING = 64  # arrays and inline tables inside each other; the bundled files use 2
TIME_LIMIT_S = 5.0

T = TypeVar("T")


class PromptFileError(ValueError):
    """A prompt file that is not read; the message says why (without the file's name)."""


def read_limited(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """The text of a regular file of at most ``max_bytes``. Opened without blocking, so a
    FIFO or a device is refused before anything waits on it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PromptFileError("not a regular file")
        if info.st_size > max_bytes:
            raise PromptFileError(f"larger than {max_bytes // 1024} KB ({info.st_size} bytes)")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 16, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:  # grew while being read
                raise PromptFileError(f"larger than {max_bytes // 1024} KB")
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8")


def check_nesting(text: str, limit: int = MAX_NESTING) -> None:
    """Refuse TOML whose arrays and inline tables nest deeper than ``limit``, before the parser
    (which recurses once per level) sees it. Brackets inside strings and comments do not
    count."""
    depth = 0
    index = 0
    while found := _MARKS.search(text, index):
        char, index = found.group(), found.start()
        if char == "#":
            index = _end(_COMMENT, text, index)
            continue
        if char in "\"'":
            index = _after_string(text, index)
            continue
        if char in "[{":
            depth += 1
            if depth > limit:
                raise PromptFileError(f"nested deeper than {limit} levels")
        else:
            depth = max(0, depth - 1)
        index += 1


_MARKS = re.compile(r"[\"'#\[\]{}]")
_COMMENT = re.compile(r"#[^\n]*")
_STRINGS = {  # possessive: a string that never closes ends where it stops, at once
    # up to two quotes of the text may stand right before the closing three
    '"""': re.compile(r'"""(?:[^"\\]+|\\.|"(?!""))*+(?:"{3,5})?', re.DOTALL),
    "'''": re.compile(r"'''(?:[^']+|'(?!''))*+(?:'{3,5})?"),
    '"': re.compile(r'"(?:[^"\\\n]+|\\.)*+"?'),
    "'": re.compile(r"'[^'\n]*+'?"),
}


def _after_string(text: str, start: int) -> int:
    """The index just past the string that starts at ``start`` (basic or literal, one line or
    multi-line)."""
    quote = text[start]
    kind = quote * 3 if text.startswith(quote * 3, start) else quote
    return _end(_STRINGS[kind], text, start)


def _end(pattern: re.Pattern[str], text: str, start: int) -> int:
    found = pattern.match(text, start)
    return found.end() if found else len(text)


def within_time_limit(read: Callable[[], T], limit_s: float = TIME_LIMIT_S) -> T:
    """``read()`` on a thread of its own, given ``limit_s`` seconds: a file system that hangs
    costs one stuck helper thread, never the model's worker. Raises what ``read`` raised, or
    ``PromptFileError`` when it took too long."""
    done = threading.Event()
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(read())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="hearth-prompt-files", daemon=True).start()
    if not done.wait(limit_s):
        raise PromptFileError(f"not read within {limit_s:g} s")
    if failure:
        raise failure[0]
    return outcome[0]
