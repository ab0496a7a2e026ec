"""Snippet windows: overlapping runs of lines from the files the user works in, each with the
words it is compared by, so the text most like the code at the cursor can be quoted."""

from __future__ import annotations

import re
from dataclasses import dataclass

WINDOW_LINES = 12  # snippet windows: this many lines, every WINDOW_STRIDE lines
WINDOW_STRIDE = 6

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_COMMON = frozenset({
    "the", "and", "for", "not", "def", "self", "return", "import", "from", "class", "else",
    "elif", "while", "with", "try", "except", "finally", "None", "True", "False", "lambda",
    "const", "let", "var", "function", "this", "new", "null", "true", "false", "void", "int",
    "public", "private", "static", "struct", "func", "package", "end", "then", "pass",
})


def identifiers(text: str) -> frozenset[str]:
    """The words a snippet is compared by (identifiers of 3+ characters, keywords left out)."""
    return frozenset(_IDENTIFIER.findall(text)) - _COMMON


@dataclass(frozen=True)
class SnippetWindow:
    start_line: int
    text: str
    words: frozenset[str]


@dataclass(frozen=True)
class SnippetSource:
    path: str
    rel: str
    windows: tuple[SnippetWindow, ...]


@dataclass(frozen=True)
class Snippet:
    rel: str
    start_line: int
    text: str
    score: float


def snippet_windows(text: str) -> tuple[SnippetWindow, ...]:
    lines = text.split("\n")
    windows = []
    for start in range(0, max(1, len(lines) - WINDOW_LINES // 2), WINDOW_STRIDE):
        chunk = "\n".join(lines[start:start + WINDOW_LINES]).rstrip()
        words = identifiers(chunk)
        if words:
            windows.append(SnippetWindow(start, chunk, words))
    return tuple(windows)
