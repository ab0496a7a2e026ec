"""Fixes the model writes: the prompt for a region, and reading the answer back (where the
region ends in it, when it is back in step with the original, when it has lost its way)."""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import languages, regions, syntax
from ..instructions import Rendered
from ..languages import comment_marker, fence_name
from ..regions import Region
from .requests import FixReason, FixRequest, FixResult, describe
from .session import Session

if TYPE_CHECKING:
    from .assistant import Assistant

RESYNC_LINES = 2  # unchanged lines after a change that show the answer is back in step
DRIFT_LINES = 3  # lines after a change matching nothing: a base model has lost its way
MIN_SIMILARITY = 0.5  # an answer sharing less of the code's lines is not a fix of it


class FixSession(Session):
    """One fix. With a problem on a line inside the region ("line" mode) the answer starts
    with the lines before it, and copying that line unchanged ends the attempt early; with a
    problem on the region's first line, or none, the model rewrites the region. An answer to a
    problem is read as one change: reading stops once the answer is back in step with the
    original (``RESYNC_LINES`` equal lines), and for base models, which drift, once
    ``DRIFT_LINES`` lines after the change match nothing (only the changed line is kept)."""

    def __init__(self, assistant: Assistant, request: FixRequest) -> None:
        super().__init__(assistant)
        self.request = request
        self.region = request.region or regions.fix_region(
            request.text, request.language_id, request.start, request.end)
        self.original: list[str] = []
        self.kept: list[str] = []
        self.problem_lines: tuple[int, int] | None = None  # line mode: first, last
        self.one_change = bool(request.problems)
        self.drifts = False  # set once the prompt style is known
        self._plan(self.region)

    def prepare(self) -> None:
        request, settings = self.request, self.assistant.settings
        # A region too long for the model's context is narrowed to a block inside it.
        max_lines = regions.MAX_REGION_LINES
        while True:
            rendered = self._render()
            code_tokens = self.engine.count_tokens(self.region.text(request.text))
            room = self._room(rendered.prompt, code_tokens + settings.fix_max_tokens)
            if room >= code_tokens + 16 or max_lines <= 8:
                break
            max_lines //= 2
            narrower = regions.fix_region(request.text, request.language_id, request.start,
                                          request.end, max_lines)
            if not self.region.start <= narrower.start <= narrower.end <= self.region.end \
                    or narrower == self.region:
                break
            self._plan(narrower)
        if room < code_tokens + 16:
            self.early_result = "too-long"
            return
        self.drifts = rendered.style == "completion"
        self.rendered, self.max_tokens = rendered, room

    def _plan(self, region: Region) -> None:
        self.region = region
        self.original = regions.split_lines(region.text(self.request.text))
        inside = [p for p in self.request.problems if region.start <= p.start <= region.end]
        first = min((self._line_of(p.start) for p in inside), default=0)
        last = max((self._line_of(max(p.start, p.end)) for p in inside), default=0)
        if inside and first > 0:
            self.problem_lines = (first, min(last, len(self.original) - 1))
            self.kept = self.original[:first]
        else:
            self.problem_lines = None
            # Asked to fix a whole function: its signature stays.
            keep = 1 if len(self.original) > 1 and not self.request.problems else 0
            self.kept = self.original[:keep]

    def _line_of(self, offset: int) -> int:
        """Line index in the region of a document offset."""
        text = self.request.text
        offset = max(self.region.start, min(offset, self.region.end))
        return len(regions.split_lines(text[self.region.start:offset])) - 1

    def _render(self) -> Rendered:
        request = self.request
        language = request.language_id or "text"
        kept = "".join(line + "\n" for line in self.kept)
        fields = {
            "language": language, "fence": fence_name(language), "path": request.path or "code",
            "comment": comment_marker(request.language_id),
            "code": "\n".join(self.original), "problems": self._problems(), "kept": kept,
            "marked": self._marked(),
        }
        return self.assistant.fix_prompt.render(self.engine.info, fields)

    def _marked(self) -> str:
        """The code with each problem as a comment at the end of its first line."""
        notes: dict[int, list[str]] = {}
        for problem in self.request.problems:
            if self.region.start <= problem.start <= self.region.end:
                notes.setdefault(self._line_of(problem.start), []).append(
                    " ".join(problem.message.split()))
        marker = comment_marker(self.request.language_id)
        return "\n".join(
            f"{line}  {marker} FIXME: {'; '.join(notes[index])}" if index in notes else line
            for index, line in enumerate(self.original))

    def _problems(self) -> str:
        lines = []
        for problem in self.request.problems:
            where = ""
            if self.region.start <= problem.start <= self.region.end:
                index = self._line_of(problem.start)
                if index > 0:
                    where = f"`{self.original[index].strip()}`: "
            source = f" ({problem.source})" if problem.source else ""
            lines.append(f"{where}{' '.join(problem.message.split())}{source}")
        return "; ".join(lines) if lines else "it has a bug; find it and fix it."

    # -- reading the answer -----------------------------------------------------------------
    def _answer_lines(self, generated: str) -> tuple[list[str], bool]:
        """The answer's lines (kept lines included, at the region's indentation) and whether a
        closing fence ended it; if not, the last line may still be growing."""
        text = "".join(line + "\n" for line in self.kept) + generated
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        while lines and lines[0].strip().startswith("```"):
            lines.pop(0)  # a chat model's opening fence
        closed = False
        for index, line in enumerate(lines):
            if line.strip().startswith("```"):
                lines, closed = lines[:index], True
                break
        if not self.kept:
            lines = _reindent(lines, self.original)  # chat models tend to dedent methods
        return lines, closed

    def complete(self, text: str) -> bool:
        lines, closed = self._answer_lines(text)
        finished = lines if closed else lines[:-1]
        return closed or self._splice(finished) is not None or self._copied(finished) \
            or len(finished) > self._max_lines()

    def _max_lines(self) -> int:
        """Longer answers have lost their way."""
        return 2 * len(self.original) + 8

    def _copied(self, lines: Sequence[str]) -> bool:
        """Line mode: the problem's lines and the next one came back unchanged."""
        if self.problem_lines is None:
            return False
        upto = min(self.problem_lines[1] + 2, len(self.original))
        return len(lines) >= upto and all(
            _key(a) == _key(b) for a, b in zip(lines[:upto], self.original[:upto], strict=True))

    def _splice(self, lines: Sequence[str]) -> list[str] | None:
        """The region's new lines once the answer shows where the region ends (or where it is
        back in step with the original, or lost), else None."""
        end = self._region_end(lines)
        if self.one_change:
            first_change = self._first_change(lines)
            resume_at = self._resync(lines, first_change)
            if resume_at is not None and (end is None or end >= len(lines)):
                return [*lines, *self.original[resume_at:]]
            if self.drifts and first_change is not None and first_change < len(self.original) \
                    and len(lines) - first_change > DRIFT_LINES \
                    and _similarity([self.original[first_change]], [lines[first_change]]) \
                    >= MIN_SIMILARITY:
                return [*self.original[:first_change], lines[first_change],
                        *self.original[first_change + 1:]]
        if end is not None:
            return list(lines[:end])
        return None

    def _first_change(self, lines: Sequence[str]) -> int | None:
        index = 0
        while index < min(len(lines), len(self.original)) \
                and _key(lines[index]) == _key(self.original[index]):
            index += 1
        return index if index < len(lines) else None

    def _region_end(self, lines: Sequence[str]) -> int | None:
        """How many answer lines belong to the region, once a line past its end shows up.

        The answer mirrors the original: its lines at the region's own indentation (a
        multi-line signature's ``):``, a closing brace) are counted, and the one after the
        original's count is past the end; a closing line that ends the original is included.
        """
        if self.region.kind not in ("function", "block"):
            # Without a syntax tree: the answer ends where the original's last line returns.
            last = _key(self.original[-1])
            for index in range(len(self.original) - 1, len(lines)):
                if last.strip() and _key(lines[index]) == last:
                    return index + 1
            return None
        base = _width(self.original[0])
        continuation = languages.continuation(self.request.language_id)
        outer = _outer_lines(self.original, base, continuation)
        closes = bool(outer) and outer[-1] == len(self.original) - 1
        for count, index in enumerate(_outer_lines(lines, base, continuation), start=1):
            if closes and count == len(outer):
                return index + 1
            if count > len(outer):
                return index
        return None

    def _resync(self, lines: Sequence[str], first_change: int | None) -> int | None:
        """Where the original continues once the answer is back in step after its change."""
        if first_change is None or len(lines) - RESYNC_LINES < first_change:
            return None
        tail = [_key(line) for line in lines[-RESYNC_LINES:]]
        if sum(len(line.strip()) for line in tail) < 6:
            return None  # blank lines and lone braces show nothing
        original = [_key(line) for line in self.original]
        matches = [p for p in range(first_change, len(original) - RESYNC_LINES + 1)
                   if original[p:p + RESYNC_LINES] == tail]
        if len(matches) != 1:
            return None
        return matches[0] + RESYNC_LINES

    def result(self) -> FixResult:
        request, state = self.request, self.state
        region = self.region
        generation = self.generation()
        elapsed = (time.monotonic() - state.started) * 1000

        def fail(reason: FixReason, message: str) -> FixResult:
            return FixResult((), region, reason, message, generation=generation,
                             total_ms=elapsed)

        if state.stop_reason == "too-long":
            return fail("too-long", "the code around the problem is too long for the model's "
                                    "context; select a smaller part and ask again")
        if state.stop_reason == "cancelled":
            return fail("cancelled", "cancelled")
        if state.stop_reason == "deadline":
            return fail("deadline", "the model took too long (hearth.commandTimeoutMs)")
        if state.stop_reason == "context":
            return fail("context", "the prompt does not fit the model's context")
        lines, closed = self._answer_lines(state.text)
        finished = lines if closed else lines[:-1]
        if self._copied(finished):
            return fail("unchanged", "the model found nothing to change")
        new_lines = self._splice(finished)
        if new_lines is None and (closed or state.stop_reason in ("eos", "stop")) \
                and len(lines) <= self._max_lines():
            new_lines = self._splice(lines) or lines  # the model ended its answer itself
        if new_lines is None:
            return fail("incomplete", "the model's answer was cut off before the end of the "
                                      "code (hearth.fixMaxTokens)")
        while new_lines and not new_lines[-1].strip():
            new_lines.pop()
        if not any(line.strip() for line in new_lines):
            return fail("empty", "the model gave no code")
        replacement = "\n".join(new_lines)
        if _similarity(self.original, new_lines) < MIN_SIMILARITY:
            return fail("unrelated", "the model's answer does not look like a fix of this code")
        edits = regions.minimal_edits(request.text, region, replacement)
        if not edits or _code_lines(new_lines) == _code_lines(self.original):
            return fail("unchanged", "the model found nothing to change")
        fixed = regions.apply_edits(request.text, edits)
        before = syntax.count_errors(request.text, request.language_id)
        after = syntax.count_errors(fixed, request.language_id)
        if before is not None and after is not None and after > before:
            added = after - before
            return fail("syntax", f"the model's fix adds {added} syntax "
                                  f"error{'s' if added > 1 else ''}; not applied")
        count = len(edits)
        return FixResult(tuple(edits), region, "ok",
                         f"{count} change{'s' if count > 1 else ''} in {describe(region)}",
                         replacement, generation, elapsed)


def _outer_lines(lines: Sequence[str], base: int, continuation: re.Pattern[str]
                 ) -> list[int]:
    """Indices (after the first) of lines at the region's indentation that do not continue a
    statement (``else:``, ``except``)."""
    return [index for index, line in enumerate(lines)
            if index > 0 and line.strip() and _width(line) <= base
            and not continuation.match(line)]


def _code_lines(lines: Sequence[str]) -> list[str]:
    """The lines that matter: blank lines and spacing changes are not fixes."""
    return [_key(line) for line in lines if line.strip()]


def _similarity(old: Sequence[str], new: Sequence[str]) -> float:
    """How much of the code the answer keeps (difflib's ratio over lines; over characters for
    a region of a few lines, where one changed line is a large share)."""
    if len(old) < 4:
        return difflib.SequenceMatcher(None, "\n".join(map(_key, old)),
                                       "\n".join(map(_key, new)), autojunk=False).ratio()
    return difflib.SequenceMatcher(None, [_key(x) for x in old], [_key(x) for x in new],
                                   autojunk=False).ratio()


def _width(line: str) -> int:
    return len(line[: len(line) - len(line.lstrip(" \t"))].expandtabs(4))


def _key(line: str) -> str:
    """A line as compared with another: indentation width and words, not exact spacing."""
    return " " * _width(line) + " ".join(line.split())


def _reindent(lines: list[str], original: Sequence[str]) -> list[str]:
    """Shift the answer to the original's indentation (chat models tend to dedent methods)."""
    first = next((line for line in lines if line.strip()), "")
    delta = _width(original[0]) - _width(first)
    if delta == 0 or not first:
        return lines
    unit = "\t" if original[0].startswith("\t") else " "
    step = 4 if unit == "\t" else 1
    out = []
    for line in lines:
        if not line.strip():
            out.append("")
        elif delta > 0:
            out.append(unit * (delta // step) + line)
        else:
            expanded = line.expandtabs(4)
            cut = min(-delta, _width(expanded))
            out.append(expanded[cut:])
    return out
