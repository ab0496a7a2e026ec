"""What the fix search (fix_search.py) reads of a region: which lines, in which steps, after
which context; and the arithmetic between offsets in the read text, in the region's text and
the region's lines, down to the windows a candidate is measured over."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..engines.base import Prompt, TokenChoice
from ..regions import Region
from .fix_candidates import EditCandidate

WINDOW_LINES = 1  # lines after the changed one that the second measure covers
READ_TOKENS = 320  # at most this much of the region is read (the lines around the problem)
READ_CHUNK = 64  # tokens read per step
CONTEXT_TOKENS = 384  # of the document before the region, as the model's context


@dataclass(frozen=True)
class ReadPlan:
    """The region's lines ``first_line`` to ``last_line`` (the candidate lines, then the
    ``WINDOW_LINES`` after them), read as ``read_text`` after ``context``. Empty until the
    search has planned."""

    context: str = ""  # the header, the document before the region, its lines before the read
    first_line: int = 0
    last_line: int = 0
    candidate_lines: frozenset[int] = frozenset()
    read_text: str = ""
    read_base: int = 0  # offset of the read text in the region's text
    line_starts: tuple[int, ...] = ()  # offsets of the read lines in the read text
    chunks: tuple[int, ...] = ()  # offsets where reading steps begin (line starts)
    line_offsets: tuple[int, ...] = ()  # where each region line starts in the region's text

    def steps(self) -> list[tuple[int, int]]:
        """(begin, end) of each reading step, in read offsets."""
        return list(zip(self.chunks, [*self.chunks[1:], len(self.read_text)], strict=True))

    def prompt_at(self, offset: int) -> Prompt:
        """The context and the read text up to ``offset``, in the parts the text was read in
        (each part is tokenized on its own, so the tokens match the reading)."""
        parts = [(self.context, False)]
        for begin in self.chunks:
            if begin >= offset:
                break
            end = min(offset, next((c for c in self.chunks if c > begin), len(self.read_text)))
            parts.append((self.read_text[begin:end], False))
        return Prompt(tuple(parts))

    def line_at(self, offset: int) -> int:
        """The region line holding read offset ``offset``."""
        index = 0
        while index + 1 < len(self.line_starts) and self.line_starts[index + 1] <= offset:
            index += 1
        return self.first_line + index

    def region_line(self, offset: int) -> int:
        """The region line holding region offset ``offset``."""
        index = 0
        while index + 1 < len(self.line_offsets) - 1 and self.line_offsets[index + 1] <= offset:
            index += 1
        return index

    def end_line(self, candidate: EditCandidate) -> int:
        """The region line where the change ends."""
        return self.region_line(max(candidate.start, candidate.end - 1))

    def short_window(self, candidate: EditCandidate, choices: Sequence[TokenChoice]
                     ) -> tuple[int, int, str] | None:
        """From the token where the change starts to the end of its line, in read offsets of
        the original, and the changed text there."""
        start, stop = candidate.start - self.read_base, candidate.end - self.read_base
        token = next((c for c in choices if c.start <= start < c.start + max(1, len(c.text))),
                     None)
        if token is None:
            return None
        row = self.end_line(candidate) + 1 - self.first_line
        wanted = self.line_starts[row] if row < len(self.line_starts) else len(self.read_text)
        end = next((c.start for c in choices if c.start >= wanted), len(self.read_text))
        changed = self.read_text[token.start:start] + candidate.text + self.read_text[stop:end]
        return token.start, end, changed

    def long_window(self, candidate: EditCandidate) -> tuple[int, int, str]:
        """From the start of the candidate's line to the end of the line after the change
        (``WINDOW_LINES``), and the changed text there."""
        anchor = self.line_starts[candidate.line - self.first_line]
        row = min(self.end_line(candidate) + WINDOW_LINES + 1 - self.first_line,
                  len(self.line_starts))
        end = self.line_starts[row] if row < len(self.line_starts) else len(self.read_text)
        start, stop = candidate.start - self.read_base, candidate.end - self.read_base
        return anchor, end, self.read_text[anchor:start] + candidate.text + self.read_text[stop:end]


def plan_reading(text: str, region: Region, lines: Sequence[str], centre: int, header: str,
                 count: Callable[[str], int]) -> ReadPlan | None:
    """What to read of ``region`` (its text split into ``lines``) around the region line
    ``centre``; None when it has no body to read."""
    body_start = 1 if region.kind == "function" and len(lines) > 1 else 0
    body = [i for i in range(body_start, len(lines)) if lines[i].strip()]
    if not body:
        return None
    # The lines read: the body, or as much of it as fits around the problem (or the range
    # asked about), and the window lines after the last candidate line.
    centre = min(max(centre, body[0]), body[-1])
    sizes = {i: count(lines[i]) + 1 for i in range(len(lines))}
    first = last = centre
    used = sizes[centre]
    while True:
        grew = False
        for candidate in (last + 1, first - 1):
            if body[0] <= candidate <= body[-1] and sizes[candidate] + used <= READ_TOKENS:
                used += sizes[candidate]
                first, last = min(first, candidate), max(last, candidate)
                grew = True
        if not grew:
            break
    line_offsets = [0]
    for line in lines:
        line_offsets.append(line_offsets[-1] + len(line) + 1)
    candidate_lines = frozenset(i for i in body if first <= i <= last)
    last_line = min(last + WINDOW_LINES, len(lines) - 1)
    # The model's context: the header, the document before the region (its end), and the
    # region's lines before the first one read.
    kept = _tail_lines(text[:region.start], CONTEXT_TOKENS, count)
    context = header + kept + "".join(f"{line}\n" for line in lines[:first])
    read_base = line_offsets[first]
    read_text = "".join(f"{line}\n" for line in lines[first:last_line + 1])
    line_starts = [line_offsets[i] - read_base for i in range(first, last_line + 1)]
    # Reading steps begin at the starts of non-blank lines (a blank line's break stays with
    # the line before it, as the tokenizer joins them).
    chunks = [0]
    size = 0
    for index in range(first, last_line + 1):
        start = line_starts[index - first]
        if size >= READ_CHUNK and lines[index].strip():
            chunks.append(start)
            size = 0
        size += sizes[index]
    return ReadPlan(context, first, last_line, candidate_lines, read_text, read_base,
                    tuple(line_starts), tuple(chunks), tuple(line_offsets))


def _tail_lines(text: str, budget: int, count: Callable[[str], int]) -> str:
    """The end of ``text``, whole lines, within ``budget`` tokens."""
    if not text or count(text) <= budget:
        return text
    lines = text.split("\n")
    low, high = 0, len(lines)
    while low < high:  # the fewest leading lines to drop
        mid = (low + high) // 2
        if count("\n".join(lines[mid:])) <= budget:
            high = mid
        else:
            low = mid + 1
    return "\n".join(lines[low:])
