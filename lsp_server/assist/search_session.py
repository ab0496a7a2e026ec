"""Fixes found by searching small edits (fix_search.py), run as a session that gives way to
completions like the others."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING

from .. import regions
from ..engines.base import CancelToken
from ..languages import comment_marker
from ..worker import GiveWay
from .fix_search import EditSearch, can_search
from .requests import FixReason, FixRequest, FixResult, describe
from .session import Session

if TYPE_CHECKING:
    from .assistant import Assistant


class SearchFixSession(Session):
    """A fix found by searching small edits (fix_search.py), for base models. The search is a
    queue of short steps; a step the engine stopped because a completion was waiting runs again
    at the next ``advance``. A step starts over when it runs again, so one that has given way
    ``GIVE_WAY_AT_MOST`` times (or was not started for others) runs to its end the next time (a
    completion then waits for one step, under a second): while someone types without pause,
    the fix still finishes."""

    GIVE_WAY_AT_MOST = 3

    def __init__(self, assistant: Assistant, request: FixRequest) -> None:
        super().__init__(assistant)
        self.request = request
        self.region = request.region or regions.fix_region(
            request.text, request.language_id, request.start, request.end)
        region, text = self.region, request.text

        def line_of(offset: int) -> int:
            offset = max(region.start, min(offset, region.end))
            return len(regions.split_lines(text[region.start:offset])) - 1

        # A problem on a function's first line (its name) says nothing about where the bug is.
        skip = 1 if region.kind == "function" else 0
        at = {line_of(p.start) for p in request.problems if region.start <= p.start <= region.end}
        first_line = text.count("\n", 0, region.start)
        region_lines = text.count("\n", region.start, region.end) + 1
        for line in traceback_lines(request):  # a test's traceback names the failing line
            if 0 <= line - first_line < region_lines:
                at.add(line - first_line)
        problem_lines = sorted(at - set(range(skip)))
        header = str(assistant.fix_prompt.tables.get("search", {}).get(
            "header", "{comment} {path}\n"))
        fields = {"comment": comment_marker(request.language_id),
                  "path": request.path or "code", "language": request.language_id}
        engine = self.engine
        assert can_search(engine)
        self._gave_way = 0  # times the step at the head of the queue was stopped for others
        self.search = EditSearch(
            engine, text, request.language_id, region, problem_lines,
            line_of(request.start), _format_fields(header, fields),
            comment_marker(request.language_id))

    def advance(self, cancel: CancelToken, should_yield: Callable[[], bool] = lambda: False
                ) -> bool:
        state = self.state
        while not self.search.done:
            if cancel.should_stop():
                state.stop_reason = cancel.reason()
                return True
            patient = self._gave_way < self.GIVE_WAY_AT_MOST
            if patient and should_yield():
                self._gave_way += 1
                return False
            token = GiveWay(cancel, should_yield if patient else lambda: False)
            if not self.search.step(token):
                if cancel.should_stop():
                    state.stop_reason = cancel.reason()
                    return True
                self._gave_way += 1
                return False  # gave way to a more urgent job: the step runs again
            self._gave_way = 0
            stats = self.search.stats
            if self.on_progress is not None:
                self.on_progress(stats.tokens_read + stats.scored, "")
        state.stop_reason = "done"
        return True

    def result(self) -> FixResult:
        request, region = self.request, self.region
        elapsed = (time.monotonic() - self.state.started) * 1000

        def fail(reason: FixReason, message: str) -> FixResult:
            return FixResult((), region, reason, message, total_ms=elapsed)

        if self.state.stop_reason == "cancelled":
            return fail("cancelled", "cancelled")
        if self.state.stop_reason == "deadline":
            return fail("deadline", "the model took too long (hearth.commandTimeoutMs)")
        best = self.search.best()
        if best is None:
            return fail("unchanged", "no small change is clearly better than the code as it is "
                                     f"({self.search.stats.candidates} tried)")
        replacement = self.search.new_region_text(best)
        edits = regions.minimal_edits(request.text, region, replacement)
        if not edits:
            return fail("unchanged", "the model found nothing to change")
        line = request.text.count("\n", 0, region.start) + best.line + 1
        old = " ".join(self.search.region_text[best.start:best.end].split())
        new = " ".join(best.text.split())
        if not old and "\n" in best.text:  # a line added
            what = f": adds `{new}`"
        else:
            if not old or not new:  # an insertion or a deletion in a line: show the line
                old = self.search.lines[best.line].strip()
                new = regions.split_lines(replacement)[best.line].strip()
            what = f": `{old}` → `{new}`"
        if len(what) > 80 or what.count("`") != (2 if what.startswith(": adds") else 4):
            what = ""
        return FixResult(tuple(edits), region, "ok",
                         f"1 change in {describe(region)} (line {line}){what}", replacement,
                         None, elapsed)


_TRACEBACK_LINE = re.compile(r'File "([^"]+)", line (\d+)')


def traceback_lines(request: FixRequest) -> list[int]:
    """Lines of this document (0-based) that a traceback in a problem's message names, as a
    test runner's diagnostic carries it (``File "…/app.py", line 12, in f``)."""
    name = PurePath(request.path).name if request.path else ""
    if not name:
        return []
    return [int(number) - 1 for problem in request.problems
            for path, number in _TRACEBACK_LINE.findall(problem.message)
            if PurePath(path.replace("\\", "/")).name == name and int(number) > 0]


def _format_fields(template: str, fields: dict[str, str]) -> str:
    """``{name}`` placeholders filled in (unknown ones left empty)."""
    return re.sub(r"\{(\w+)\}", lambda m: fields.get(m.group(1), ""), template)
