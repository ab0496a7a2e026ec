"""What the model sees around the cursor: prefix and suffix windows within a token budget.

Windows start and end on a fixed grid of lines, so while the user types the prompt's beginning
stays byte-identical and the engine reuses its KV cache for it; token counts of whole grid chunks
are cached, so measuring a window costs one tokenization of the chunk under the cursor.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .documents import LineIndex, line_of

GRID_LINES = 16
# No token is longer than this many characters (whitespace runs are the longest): a window of
# N tokens never needs more than N times as many characters of text.
MAX_CHARS_PER_TOKEN = 32
CHAR_GRID = 1024
EOL_SEARCH_CHARS = 1 << 16
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts_of(text: str) -> list[int]:
    return list(LineIndex.of(text))


class TokenCounter:
    """``count(text)`` with an LRU cache, for chunks that recur from keystroke to keystroke."""

    def __init__(self, count: Callable[[str], int], size: int = 4096) -> None:
        self._count = count
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._size = size

    def __call__(self, text: str) -> int:
        if not text:
            return 0
        hit = self._cache.get(text)
        if hit is not None:
            self._cache.move_to_end(text)
            return hit
        value = self._count(text)
        self._cache[text] = value
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return value

    def uncached(self, text: str) -> int:
        return self._count(text) if text else 0


@dataclass(frozen=True)
class Window:
    """The text around the cursor that fits the budget."""

    prefix: str  # from a grid line up to the cursor
    suffix: str  # from the cursor to a grid line
    prefix_start: int  # document offsets of the window
    suffix_end: int
    prefix_tokens: int
    suffix_tokens: int
    prefix_line: int = 0  # the line ``prefix_start`` is on


def cursor_window(
    text: str,
    offset: int,
    line_starts: Sequence[int],
    count: TokenCounter,
    prefix_budget: int,
    suffix_budget: int,
) -> Window:
    """The window around ``offset``. It never spans more than ``MAX_CHARS_PER_TOKEN``
    characters per token of budget, so its cost does not grow with the document (a file of
    millions of lines, or one minified line of megabytes)."""
    line = line_of(line_starts, offset)
    n_lines = len(line_starts)
    # Rounded to a grid of characters, so a window cut inside one huge line stays put
    # (and the KV cache valid) while the user types.
    floor = offset - prefix_budget * MAX_CHARS_PER_TOKEN
    floor = max(0, -(-floor // CHAR_GRID) * CHAR_GRID)
    ceiling = min(len(text), offset + suffix_budget * MAX_CHARS_PER_TOKEN)

    def start_of(index: int) -> int:
        return line_starts[index] if index < n_lines else len(text)

    # Prefix: the partial chunk under the cursor, then whole chunks backwards while they fit.
    grid = (line // GRID_LINES) * GRID_LINES
    prefix_start = start_of(grid)
    if prefix_start < floor:
        prefix_start, used = _trim_front(text, floor, offset, line_starts, count,
                                         prefix_budget, include_start=True)
    else:
        used = count.uncached(text[prefix_start:offset])
        chunk = grid - GRID_LINES
        while chunk >= 0 and start_of(chunk) >= floor:
            cost = count(text[start_of(chunk):start_of(chunk + GRID_LINES)])
            if used + cost > prefix_budget:
                break
            used += cost
            prefix_start = start_of(chunk)
            chunk -= GRID_LINES
        if used > prefix_budget:
            prefix_start, used = _trim_front(text, prefix_start, offset, line_starts, count,
                                             prefix_budget)

    # Suffix: the rest of the cursor's chunk, then whole chunks forwards while they fit.
    end_grid = (line // GRID_LINES + 1) * GRID_LINES
    suffix_end = start_of(end_grid)
    s_used = count.uncached(text[offset:min(suffix_end, ceiling)])
    if suffix_end > ceiling or s_used > suffix_budget:
        suffix_end, s_used = _trim_back(text, offset, min(suffix_end, ceiling), line_starts,
                                        count, suffix_budget)
    else:
        chunk = end_grid
        while chunk < n_lines and start_of(chunk + GRID_LINES) <= ceiling:
            cost = count(text[start_of(chunk):start_of(chunk + GRID_LINES)])
            if s_used + cost > suffix_budget:
                break
            s_used += cost
            chunk += GRID_LINES
            suffix_end = start_of(chunk)
    return Window(text[prefix_start:offset], text[offset:suffix_end], prefix_start, suffix_end,
                  used, s_used, line_of(line_starts, prefix_start))


def _trim_front(text: str, start: int, offset: int, line_starts: Sequence[int],
                count: TokenCounter, budget: int, include_start: bool = False
                ) -> tuple[int, int]:
    """The earliest line start after ``start`` (or ``start`` itself, if ``include_start``)
    from which the prefix fits, found by bisection; then characters, for one huge line."""
    if include_start:
        used = count.uncached(text[start:offset])
        if used <= budget:
            return start, used
    cursor = line_of(line_starts, offset)
    lo, hi = line_of(line_starts, start) + 1, cursor
    best: tuple[int, int] | None = None
    while lo <= hi:  # the text from a later line is shorter: fewer tokens
        mid = (lo + hi) // 2
        used = count.uncached(text[line_starts[mid]:offset])
        if used <= budget:
            best, hi = (line_starts[mid], used), mid - 1
        else:
            lo = mid + 1
    if best is not None:
        return best
    head = max(line_starts[cursor], start)
    while offset - head > 1 and count.uncached(text[head:offset]) > budget:
        head += max(1, (offset - head) // 4)
    return head, count.uncached(text[head:offset])


def _trim_back(text: str, offset: int, end: int, line_starts: Sequence[int],
               count: TokenCounter, budget: int) -> tuple[int, int]:
    """The latest line start before ``end`` up to which the suffix fits (bisection), then
    characters."""
    cursor = line_of(line_starts, offset)
    lo, hi = cursor + 1, line_of(line_starts, max(0, end - 1))
    if hi < len(line_starts) and line_starts[hi] == end:
        hi -= 1
    best: tuple[int, int] | None = None
    while lo <= hi:
        mid = (lo + hi) // 2
        used = count.uncached(text[offset:line_starts[mid]])
        if used <= budget:
            best, lo = (line_starts[mid], used), mid + 1
        else:
            hi = mid - 1
    if best is not None:
        return best
    tail = min(end, len(text))
    while tail - offset > 1 and count.uncached(text[offset:tail]) > budget:
        tail -= max(1, (tail - offset) // 4)
    return tail, count.uncached(text[offset:tail])


@dataclass(frozen=True)
class CursorLine:
    before: str  # the current line up to the cursor
    after: str  # the current line after the cursor, without its line break
    eol: str  # the document's line break


def cursor_line(text: str, offset: int, line_starts: Sequence[int]) -> CursorLine:
    line = line_of(line_starts, offset)
    start = line_starts[line]
    end = line_starts[line + 1] if line + 1 < len(line_starts) else len(text)
    after = text[offset:end].rstrip("\r\n")
    # The document's line break: the first one, looked for in a bounded stretch of text.
    first_break = _LINE_BREAK.search(text, 0, EOL_SEARCH_CHARS) or _LINE_BREAK.search(
        text, max(0, start - 2), min(len(text), end + 2))
    return CursorLine(text[start:offset], after, first_break.group() if first_break else "\n")
