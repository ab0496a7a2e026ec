"""Bug fixes and explanations, free of LSP types:

    request → region (the smallest function or block around the range; see regions.py)
            → prompt (prompts/fix.toml or explain.toml: the model's chat template, or the
              completion-style one for base models)
            → generate (on the worker thread, in steps that give way to completions)
            → fix: splice the answer into the region, re-parse, minimal edits
              explain: Markdown, cut where a small model starts repeating itself

Base models that cannot follow instructions (no chat template) fix differently when the engine
can score text (local engines): hearth searches for the small edit the model finds likeliest
(fix_search.py) instead of asking for a corrected version.

A session is advanced by the worker until it is done. Between tokens it yields when a more urgent
job (a completion) waits, so a long fix never delays ghost text: the next step resumes from the
text generated so far.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from . import fix_search, languages, regions, syntax
from .config import Settings
from .engines.base import (
    CancelToken,
    Engine,
    Generation,
    GenerationParams,
    Prompt,
    StopReason,
    find_stop,
)
from .instructions import Instruction, Rendered, load_instruction
from .languages import comment_marker, fence_name
from .regions import Edit, Region

RESYNC_LINES = 2  # unchanged lines after a change that show the answer is back in step
DRIFT_LINES = 3  # lines after a change matching nothing: a base model has lost its way
MIN_SIMILARITY = 0.5  # an answer sharing less of the code's lines is not a fix of it


@dataclass(frozen=True)
class Problem:
    """A diagnostic (from any server) or another hint of what is wrong."""

    message: str
    start: int  # str offsets in the document
    end: int
    source: str = ""


@dataclass(frozen=True)
class FixRequest:
    text: str
    start: int  # the range asked about (cursor, selection or a diagnostic's range)
    end: int
    language_id: str = ""
    path: str = ""
    problems: tuple[Problem, ...] = ()
    region: Region | None = None  # the region announced to the editor; computed if None


FixReason = Literal["ok", "unchanged", "syntax", "incomplete", "empty", "unrelated",
                    "cancelled", "deadline", "too-long", "context"]


@dataclass(frozen=True)
class FixResult:
    edits: tuple[Edit, ...]
    region: Region
    reason: FixReason
    message: str  # for the user: what was fixed, or why there is no fix
    replacement: str = ""  # the region's new text
    generation: Generation | None = None
    total_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


@dataclass(frozen=True)
class ExplainRequest:
    text: str
    start: int
    end: int  # a selection, or start == end for "the code around here"
    language_id: str = ""
    path: str = ""
    locale: str = "en"


@dataclass(frozen=True)
class ExplainResult:
    markdown: str
    region: Region
    reason: str  # "ok", "empty", "cancelled", "deadline", "context"
    generation: Generation | None = None
    total_ms: float = 0.0


ProgressCallback = Callable[[int, str], None]  # (tokens so far, text so far)


class Assistant:
    """Fixes and explanations with one loaded engine (built again when the model changes)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.fix_prompt: Instruction = load_instruction("fix", settings.prompts_dir)
        self.explain_prompt: Instruction = load_instruction("explain", settings.prompts_dir)

    @property
    def searches_fixes(self) -> bool:
        """Whether fixes are searched (``hearth.fixMethod``; by default for a base model on
        an engine that scores text) rather than written by the model from the fix prompt."""
        method = self.settings.fix_method
        if method == "rewrite" or not fix_search.can_search(self.engine):
            return False
        return method == "search" or not self.engine.info.chat_template

    def fix_session(self, request: FixRequest) -> FixSession | SearchFixSession:
        if self.searches_fixes:
            return SearchFixSession(self, request)
        return FixSession(self, request)

    def explain_session(self, request: ExplainRequest) -> ExplainSession:
        return ExplainSession(self, request)

    def fix(self, request: FixRequest, cancel: CancelToken) -> FixResult:
        """Run a fix to the end on the calling thread (CLI, evaluation)."""
        session = self.fix_session(request)
        while not session.advance(cancel):
            pass
        return session.result()

    def explain(self, request: ExplainRequest, cancel: CancelToken) -> ExplainResult:
        session = self.explain_session(request)
        while not session.advance(cancel):
            pass
        return session.result()


@dataclass
class _Progress:
    text: str = ""  # generated so far, across steps
    tokens: int = 0
    prompt_tokens: int = 0
    first_token_ms: float = 0.0
    stop_reason: str = ""
    steps: int = 0
    started: float = field(default_factory=time.monotonic)


class Session:
    """A generation that can stop between tokens and resume later from its own text."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.engine = assistant.engine
        self.rendered: Rendered | None = None
        self.max_tokens = 0
        self.state = _Progress()
        self.on_progress: ProgressCallback | None = None
        self.early_result: str | None = None  # a reason to finish without generating

    # -- subclass hooks ---------------------------------------------------------------------
    def prepare(self) -> None:
        """Build ``self.rendered`` and ``self.max_tokens`` (worker thread: may tokenize)."""
        raise NotImplementedError

    def complete(self, text: str) -> bool:
        """Whether the answer so far is finished."""
        raise NotImplementedError

    # -- driving ----------------------------------------------------------------------------
    def advance(self, cancel: CancelToken, should_yield: Callable[[], bool] = lambda: False
                ) -> bool:
        """Generate until done (True) or until ``should_yield()`` (False: call again)."""
        state = self.state
        if self.rendered is None:
            self.prepare()
            if self.early_result is not None or self.rendered is None:
                state.stop_reason = self.early_result or "empty"
                return True
        rendered = self.rendered
        prompt = rendered.prompt
        if state.text:
            prompt = Prompt((*prompt.parts, (state.text, False)), prompt.fields)
        stops = rendered.stop
        longest = max((len(s) for s in stops), default=0)
        yielded = False
        done_before = state.text
        boundary = done_before[-longest:] if longest else ""
        seen = 0  # characters of this step already looked at
        calls = 0  # tokens generated in this step
        last_report = 0.0

        def stop_when(new: str) -> bool:
            nonlocal yielded, seen, calls, last_report
            calls += 1
            fresh, seen = new[seen:], len(new)
            if boundary and len(new) <= 2 * longest and find_stop(boundary + new, stops) >= 0:
                return True  # a stop sequence spanning two steps
            # Answers are judged by whole lines: only a new line break can finish one.
            if "\n" in fresh and self.complete(done_before + new):
                return True
            if should_yield():
                yielded = True
                return True
            now = time.monotonic()
            if self.on_progress is not None and now - last_report > 0.25:
                last_report = now
                self.on_progress(state.tokens + calls, done_before + new)
            return False

        remaining = self.max_tokens - state.tokens
        if remaining <= 0:
            state.stop_reason = "length"
            return True
        generation = self.engine.generate(
            prompt, GenerationParams(max_tokens=remaining, stop=stops, stop_when=stop_when),
            cancel)
        state.steps += 1
        if state.steps == 1:
            state.prompt_tokens = generation.prompt_tokens
            state.first_token_ms = generation.first_token_ms
        state.tokens += generation.generated_tokens
        state.text = done_before + generation.text
        cut = find_stop(state.text, stops, max(0, len(done_before) - longest)) if stops else -1
        if cut >= 0:
            state.text = state.text[:cut]
        if yielded and generation.stop_reason == "stop" and cut < 0 \
                and not self.complete(state.text):
            return False
        state.stop_reason = generation.stop_reason
        return True

    def generation(self) -> Generation | None:
        state = self.state
        if state.steps == 0:
            return None
        return Generation(
            text=state.text, stop_reason=state.stop_reason,  # type: ignore[arg-type]
            prompt_tokens=state.prompt_tokens, generated_tokens=state.tokens,
            first_token_ms=state.first_token_ms,
            total_ms=(time.monotonic() - state.started) * 1000)

    def _room(self, prompt: Prompt, wanted: int) -> int:
        """Tokens left for the answer in the engine's context after ``prompt``."""
        context = min(self.assistant.settings.context_size,
                      self.engine.info.context_length or self.assistant.settings.context_size)
        used = self.engine.count_tokens(prompt.text) + 8
        return min(wanted, context - used)


# -- fixes ------------------------------------------------------------------------------------

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
                         f"{count} change{'s' if count > 1 else ''} in {_describe(region)}",
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


def _describe(region: Region) -> str:
    if region.kind == "function" and region.name:
        return f"`{region.name}`"
    return {"function": "the function", "block": "the block"}.get(region.kind, "the code")


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


class GiveWay(CancelToken):
    """The token for one step of a long job: it stops the engine on a cancel or the deadline,
    and also as soon as a more urgent job waits (the engine polls it between tokens and during
    evaluation; ``should_yield`` is asked at most every ``POLL_S``)."""

    POLL_S = 0.005

    def __init__(self, cancel: CancelToken, should_yield: Callable[[], bool]) -> None:
        super().__init__(cancel.deadline)
        self.parent = cancel
        self._should_yield = should_yield
        self.gave_way = False
        self._next_poll = 0.0

    def cancel(self) -> None:
        self.parent.cancel()

    @property
    def cancelled(self) -> bool:
        return self.parent.cancelled

    def should_stop(self) -> bool:
        if self.parent.should_stop():
            return True
        if not self.gave_way:
            now = time.monotonic()
            if now >= self._next_poll:
                self._next_poll = now + self.POLL_S
                self.gave_way = self._should_yield()
        return self.gave_way

    def reason(self) -> StopReason:
        return self.parent.reason() if self.parent.should_stop() else "cancelled"

    def wait(self, timeout: float | None) -> bool:
        return self.parent.wait(timeout)


class SearchFixSession(Session):
    """A fix found by searching small edits (fix_search.py), for base models. The search is a
    queue of short steps; a step the engine stopped because a completion was waiting runs again
    at the next ``advance``."""

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
        problem_lines = sorted({line_of(p.start) for p in request.problems
                                if region.start <= p.start <= region.end} - set(range(skip)))
        header = str(assistant.fix_prompt.tables.get("search", {}).get(
            "header", "{comment} {path}\n"))
        fields = {"comment": comment_marker(request.language_id),
                  "path": request.path or "code", "language": request.language_id}
        engine = self.engine
        assert fix_search.can_search(engine)
        self.search = fix_search.EditSearch(
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
            if should_yield():
                return False
            if not self.search.step(GiveWay(cancel, should_yield)):
                if cancel.should_stop():
                    state.stop_reason = cancel.reason()
                    return True
                return False  # gave way to a more urgent job: the step runs again
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
            return fail("unchanged", "the model found no small change that makes this code "
                                     "likelier")
        replacement = self.search.new_region_text(best)
        edits = regions.minimal_edits(request.text, region, replacement)
        if not edits:
            return fail("unchanged", "the model found nothing to change")
        line = request.text.count("\n", 0, region.start) + best.line + 1
        return FixResult(tuple(edits), region, "ok",
                         f"1 change in {_describe(region)} (line {line})", replacement,
                         None, elapsed)


def _format_fields(template: str, fields: dict[str, str]) -> str:
    """``{name}`` placeholders filled in (unknown ones left empty)."""
    return re.sub(r"\{(\w+)\}", lambda m: fields.get(m.group(1), ""), template)


# -- explanations -----------------------------------------------------------------------------

MAX_EXPLAIN_CODE_TOKENS = 1536


class ExplainSession(Session):
    def __init__(self, assistant: Assistant, request: ExplainRequest) -> None:
        super().__init__(assistant)
        self.request = request
        self.region = explain_region(request)
        self.locale = locale_table(assistant.explain_prompt, request.locale)
        self.lead = ""

    def prepare(self) -> None:
        request, settings = self.request, self.assistant.settings
        code = self.region.text(request.text)
        budget = min(MAX_EXPLAIN_CODE_TOKENS,
                     settings.context_size - settings.explain_max_tokens - 256)
        code = _fit(code, budget, self.engine.count_tokens)
        is_function = self.region.kind == "function"
        subject = (f"function `{self.region.name}`" if is_function and self.region.name
                   else "function" if is_function else "code")
        self.lead = self.locale["function" if is_function else "code"]
        language = request.language_id or "text"
        fields = {
            "language": language, "fence": fence_name(language), "path": request.path or "code",
            "code": code, "subject": subject, "answer_language": self.locale["answer_language"],
            "heading": self.locale["heading"], "lead": self.lead,
        }
        rendered = self.assistant.explain_prompt.render(self.engine.info, fields)
        room = self._room(rendered.prompt, settings.explain_max_tokens)
        if room < 16:
            self.early_result = "context"
            return
        self.rendered, self.max_tokens = rendered, room

    def complete(self, text: str) -> bool:
        return _repeat_start(text) is not None

    def result(self) -> ExplainResult:
        state = self.state
        generation = self.generation()
        elapsed = (time.monotonic() - state.started) * 1000
        answer_start = self.rendered.answer_start if self.rendered is not None else ""
        body = _tidy(answer_start + state.text)
        reason = state.stop_reason if state.stop_reason in ("cancelled", "deadline",
                                                            "context") else "ok"
        if reason == "ok" and len(body.strip()) <= len(answer_start.strip()):
            reason = "empty"
        markdown = f"**{self.locale['heading']}: {_title(self.region, self.request)}**\n\n"
        if reason == "ok":
            markdown += body
        else:
            markdown += {"cancelled": "_Cancelled._", "deadline": "_The model took too long._",
                         "context": "_The code is too long for the model's context._",
                         }.get(reason, "_The model gave no explanation._")
        return ExplainResult(markdown, self.region, reason, generation, elapsed)


def explain_region(request: ExplainRequest) -> Region:
    """The selection (whole lines) if there is one, else the function or block around it."""
    text = request.text
    if request.end > request.start and text[request.start:request.end].strip():
        start, end = regions.line_bounds(text, request.start, request.end)
        inside = regions.function_region(text, request.language_id, request.start)
        if inside is not None and (inside.start, inside.end) == (start, end):
            return inside
        return Region(start, end, "selection")
    return regions.fix_region(text, request.language_id, request.start, request.end)


def locale_table(prompt: Instruction, locale: str) -> dict[str, str]:
    """The [locales.*] entry for an editor locale ("pt-BR" → "pt"), English when missing."""
    tables = prompt.tables.get("locales", {})
    wanted = (locale or "en").lower().replace("_", "-")
    for key in (wanted, wanted.split("-")[0], "en"):
        entry = tables.get(key)
        if isinstance(entry, dict):
            merged = {"answer_language": "English", "heading": "Explanation",
                      "function": "This function", "code": "This code"}
            merged.update({k: str(v) for k, v in entry.items()})
            return merged
    return {"answer_language": "English", "heading": "Explanation",
            "function": "This function", "code": "This code"}


def _title(region: Region, request: ExplainRequest) -> str:
    first = request.text.count("\n", 0, region.start) + 1
    last = first + request.text.count("\n", region.start, region.end)
    where = f"{request.path or 'lines'} {first}–{last}" if last > first else \
        f"{request.path or 'line'} {first}"
    if region.kind == "function" and region.name:
        return f"`{region.name}` ({where})"
    return where


def _fit(code: str, budget: int, count: Callable[[str], int]) -> str:
    """The code, cut to whole lines within ``budget`` tokens."""
    if count(code) <= budget:
        return code
    lines = code.split("\n")
    low, high = 1, len(lines)
    while low < high:
        mid = (low + high + 1) // 2
        if count("\n".join(lines[:mid])) <= budget:
            low = mid
        else:
            high = mid - 1
    return "\n".join(lines[:low]) + "\n…"


def _repeat_start(text: str) -> int | None:
    """Index where a small model starts repeating a line it already wrote, or None."""
    seen: set[str] = set()
    offset = 0
    for line in text.split("\n")[:-1]:  # complete lines only
        key = " ".join(line.split()).lower()
        if len(key) >= 12:
            if key in seen:
                return offset
            seen.add(key)
        offset += len(line) + 1
    return None


def _tidy(text: str) -> str:
    """The explanation without repeated lines, dangling fences or trailing blanks."""
    cut = _repeat_start(text + "\n")
    if cut is not None:
        text = text[:cut]
    if text.count("```") % 2:
        text = text[:text.rfind("```")]
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))
