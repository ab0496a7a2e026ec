"""What the model sees around the cursor: prefix and suffix windows within a token budget.

Windows start and end on a fixed grid of lines, so while the user types the prompt's beginning
stays byte-identical and the engine reuses its KV cache for it; token counts of whole grid chunks
are cached, so measuring a window costs one tokenization of the chunk under the cursor.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

GRID_LINES = 16
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts_of(text: str) -> list[int]:
    return [0] + [m.end() for m in _LINE_BREAK.finditer(text)]


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


def cursor_window(
    text: str,
    offset: int,
    line_starts: Sequence[int],
    count: TokenCounter,
    prefix_budget: int,
    suffix_budget: int,
) -> Window:
    line = bisect.bisect_right(line_starts, offset) - 1
    n_lines = len(line_starts)

    def start_of(index: int) -> int:
        return line_starts[index] if index < n_lines else len(text)

    # Prefix: the partial chunk under the cursor, then whole chunks backwards while they fit.
    grid = (line // GRID_LINES) * GRID_LINES
    prefix_start = start_of(grid)
    used = count.uncached(text[prefix_start:offset])
    chunk = grid - GRID_LINES
    while chunk >= 0:
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
    s_used = count.uncached(text[offset:suffix_end])
    if s_used > suffix_budget:
        suffix_end, s_used = _trim_back(text, offset, suffix_end, line_starts, count,
                                        suffix_budget)
    else:
        chunk = end_grid
        while chunk < n_lines:
            cost = count(text[start_of(chunk):start_of(chunk + GRID_LINES)])
            if s_used + cost > suffix_budget:
                break
            s_used += cost
            chunk += GRID_LINES
            suffix_end = start_of(chunk)
    return Window(text[prefix_start:offset], text[offset:suffix_end], prefix_start, suffix_end,
                  used, s_used)


def _trim_front(text: str, start: int, offset: int, line_starts: Sequence[int],
                count: TokenCounter, budget: int) -> tuple[int, int]:
    """Drop lines from the front until the prefix fits (then characters, for one huge line)."""
    index = bisect.bisect_right(line_starts, start) - 1
    cursor_line = bisect.bisect_right(line_starts, offset) - 1
    while index < cursor_line:
        index += 1
        used = count.uncached(text[line_starts[index]:offset])
        if used <= budget:
            return line_starts[index], used
    head = line_starts[cursor_line]
    while offset - head > 1 and count.uncached(text[head:offset]) > budget:
        head += max(1, (offset - head) // 4)
    return head, count.uncached(text[head:offset])


def _trim_back(text: str, offset: int, end: int, line_starts: Sequence[int],
               count: TokenCounter, budget: int) -> tuple[int, int]:
    """Drop whole lines from the back until the suffix fits (then characters)."""
    index = bisect.bisect_left(line_starts, end)
    cursor_line = bisect.bisect_right(line_starts, offset) - 1
    while index - 1 > cursor_line:
        index -= 1
        used = count.uncached(text[offset:line_starts[index]])
        if used <= budget:
            return line_starts[index], used
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
    line = bisect.bisect_right(line_starts, offset) - 1
    start = line_starts[line]
    end = line_starts[line + 1] if line + 1 < len(line_starts) else len(text)
    after = text[offset:end].rstrip("\r\n")
    first_break = _LINE_BREAK.search(text)
    return CursorLine(text[start:offset], after, first_break.group() if first_break else "\n")
