"""Quick fixes with base models: the small edit the model finds likeliest.

A small base model (the embedded Gemma 3 270M) cannot follow "fix this bug", but it is a fair
language model of code, and a bug is often a token or two it did not expect there. So instead
of asking for a corrected version, hearth reads the code and asks what the model expected:

1. read: each token of the lines that may hold the bug, with its log-probability and the
   model's likeliest other tokens there (``TokenScoringEngine.token_choices``); the lines are
   the function's body, the problem's line first when a diagnostic points at one;
2. propose: where the model most expected something else, two candidate lines: the expected
   token with the rest of the line kept (a substitution), and the expected token followed by
   the model's own greedy continuation to the end of the line (a rewrite, explored for every
   alternative at a place at once with ``BranchingEngine.explore``). Candidates that add syntax
   errors, turn code into a comment, only re-space the line, bring in a name the file has
   nowhere or stop binding a name the code still uses are dropped;
3. rank: a candidate's gain is how much likelier the model finds the code with the change,
   from the change to the end of the next line (so the code after it has its say), less a
   price per word the edit removes or adds: bugs are small, and a shorter line is always
   likelier, so deleting code must pay its way. The best candidate is proposed when it parses
   better than the original or its gain is positive.

The work is a queue of short steps. A step is one engine call or a few; when the engine stops
it (a cancel, the deadline, or a completion waiting, see ``GiveWay``) it stays in the queue
and runs again later.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal, Protocol, TypeGuard

from .. import regions, syntax
from ..engines.base import (
    BranchingEngine,
    CancelToken,
    Engine,
    GenerationParams,
    Prompt,
    TokenChoice,
    TokenScoringEngine,
)
from ..regions import Region

ALTERNATIVES = 2  # the model's likeliest other tokens considered at each place
MAX_PLACES = 24  # tokens whose alternatives are tried (each costs a short exploration)
PROBLEM_PLACES = 6  # of which on the problem's line, when a diagnostic points at one
SCORED = 8  # candidates whose effect on the following code is measured
WINDOW_LINES = 1  # lines after the changed one that a candidate is scored on
REWRITE_TOKENS = 32  # a rewritten line longer than this is not a small edit
READ_TOKENS = 320  # at most this much of the region is read (the lines around the problem)
READ_CHUNK = 64  # tokens read per step
CONTEXT_TOKENS = 384  # of the document before the region, as the model's context
# Prices in nats per word (identifier, number or operator) the edit removes or adds.
REMOVED_PRICE = 3.0
ADDED_PRICE = 1.0
MARGIN = 0.0  # a candidate must gain more than this to be proposed

_WORD = re.compile(r"\w+|[^\w\s]")
_NAME = re.compile(r"[A-Za-z_]\w*")
# A line that binds a name: ``name = …`` or ``for name in …``.
_BINDING = re.compile(r"^\s*(?:for\s+)?([A-Za-z_]\w*)\s*(?:=(?!=)|in\b)")
# Names a Python line may use without the file defining them.
_PYTHON_NAMES = frozenset(keyword.kwlist) | frozenset(dir(builtins))

Kind = Literal["substitution", "rewrite"]


class SearchEngine(Engine, BranchingEngine, TokenScoringEngine, Protocol):
    """What the search needs of an engine (local engines have it; inference servers do not)."""


def can_search(engine: Engine) -> TypeGuard[SearchEngine]:
    return isinstance(engine, BranchingEngine) and isinstance(engine, TokenScoringEngine)


@dataclass(frozen=True)
class EditCandidate:
    line: int  # index in the region's lines
    text: str  # the line's new text
    kind: Kind
    offset: int  # where the change starts, in the read text
    errors: int  # syntax errors in the document with the change
    price: float
    first_gain: float  # the line's own gain (before the following code is scored)
    gain: float | None = None  # from the change to the end of the window

    @property
    def score(self) -> float:
        return (self.gain if self.gain is not None else self.first_gain) - self.price


@dataclass
class SearchStats:
    tokens_read: int = 0
    places: int = 0
    candidates: int = 0
    scored: int = 0


def edit_price(old: str, new: str) -> float:
    """What an edit costs by its size: ``REMOVED_PRICE`` per word removed, ``ADDED_PRICE`` per
    word added."""
    import difflib

    a, b = _WORD.findall(old), _WORD.findall(new)
    removed = added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return REMOVED_PRICE * removed + ADDED_PRICE * added


def best_candidate(candidates: Sequence[EditCandidate], errors_before: int) -> EditCandidate | None:
    """The candidate to propose: the one that parses best, then the one with the best score;
    None unless it parses better than the original or gains more than ``MARGIN``. Candidates
    whose effect on the following code was measured compete among themselves."""
    scored = [c for c in candidates if c.gain is not None]
    pool = scored or list(candidates)  # unscored ones lost to them on their first gain
    if not pool:
        return None
    best = min(pool, key=lambda c: (c.errors, -c.score))
    if best.errors < errors_before or best.score > MARGIN:
        return best
    return None


class EditSearch:
    """The search for one region; ``step`` until ``done``, then ``best``."""

    def __init__(self, engine: SearchEngine, text: str, language_id: str, region: Region,
                 problem_lines: Sequence[int], focus_line: int, header: str,
                 comment: str = "#") -> None:
        self.engine = engine
        self.comment = comment  # a line turned into a comment deletes code: never a fix
        # Names a candidate may bring in: the file's own, and the language's.
        self.known_names = set(_NAME.findall(text)) | (
            _PYTHON_NAMES if language_id == "python" else frozenset())
        self.text = text
        self.language_id = language_id
        self.region = region
        self.lines = regions.split_lines(region.text(text))
        self.problem_lines = [i for i in problem_lines if 0 <= i < len(self.lines)]
        self.focus_line = focus_line
        self.header = header
        self.stats = SearchStats()
        self.errors_before = syntax.count_errors(text, language_id) or 0
        self.choices: list[TokenChoice] = []  # of the read text, offsets in it
        self.candidates: list[EditCandidate] = []
        self._steps: deque[Callable[[CancelToken], bool]] = deque([self._plan])
        # Set by _plan.
        self.context = ""
        self.first_line = self.last_line = 0
        self.candidate_lines: set[int] = set()
        self.read_text = ""
        self.line_starts: list[int] = []  # offsets of the read lines in the read text
        self.chunks: list[int] = []  # offsets where reading steps begin (line starts)

    @property
    def done(self) -> bool:
        return not self._steps

    def step(self, cancel: CancelToken) -> bool:
        """Run the next step; False if the engine was stopped (the step stays queued)."""
        if not self._steps:
            return True
        step = self._steps.popleft()
        if not step(cancel):
            self._steps.appendleft(step)
            return False
        return True

    def best(self) -> EditCandidate | None:
        return best_candidate(self.candidates, self.errors_before)

    def new_region_text(self, candidate: EditCandidate) -> str:
        lines = list(self.lines)
        lines[candidate.line] = candidate.text
        return "\n".join(lines)

    # -- planning ---------------------------------------------------------------------------
    def _plan(self, _cancel: CancelToken) -> bool:
        count = self.engine.count_tokens
        body_start = 1 if self.region.kind == "function" and len(self.lines) > 1 else 0
        body = [i for i in range(body_start, len(self.lines)) if self.lines[i].strip()]
        if not body:
            return True
        # The lines read: the body, or as much of it as fits around the problem (or the range
        # asked about), and the window lines after the last candidate line.
        centre = self.problem_lines[0] if self.problem_lines else self.focus_line
        centre = min(max(centre, body[0]), body[-1])
        sizes = {i: count(self.lines[i]) + 1 for i in range(len(self.lines))}
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
        self.candidate_lines = {i for i in body if first <= i <= last}
        self.first_line = first
        self.last_line = min(last + WINDOW_LINES, len(self.lines) - 1)
        # The model's context: the header, the document before the region (its end), and the
        # region's lines before the first one read.
        before = self.text[:self.region.start]
        kept = _tail_lines(before, CONTEXT_TOKENS, count)
        self.context = self.header + kept + "".join(f"{line}\n" for line in self.lines[:first])
        self.read_text = "".join(f"{line}\n" for line in self.lines[first:self.last_line + 1])
        offset = 0
        for line in self.lines[first:self.last_line + 1]:
            self.line_starts.append(offset)
            offset += len(line) + 1
        # Reading steps begin at the starts of non-blank lines (a blank line's break stays with
        # the line before it, as the tokenizer joins them).
        self.chunks = [0]
        size = 0
        for index in range(first, self.last_line + 1):
            start = self.line_starts[index - first]
            if size >= READ_CHUNK and self.lines[index].strip():
                self.chunks.append(start)
                size = 0
            size += sizes[index]
        for begin, end in zip(self.chunks, [*self.chunks[1:], len(self.read_text)], strict=True):
            self._steps.append(partial(self._read, begin=begin, end=end))
        self._steps.append(self._propose)
        return True

    def _prompt_at(self, offset: int) -> Prompt:
        """The context and the read text up to ``offset``, in the parts the text was read in
        (each part is tokenized on its own, so the tokens match the reading)."""
        parts = [(self.context, False)]
        for begin in self.chunks:
            if begin >= offset:
                break
            end = min(offset, next((c for c in self.chunks if c > begin), len(self.read_text)))
            parts.append((self.read_text[begin:end], False))
        return Prompt(tuple(parts))

    # -- reading ------------------------------------------------------------------------------
    def _read(self, cancel: CancelToken, begin: int, end: int) -> bool:
        choices = self.engine.token_choices(self._prompt_at(begin), self.read_text[begin:end],
                                            ALTERNATIVES + 2, cancel)  # a few may be spaces
        if choices is None:
            if cancel.should_stop():
                return False
            self._steps.clear()  # the text does not fit the model's context: no candidates
            return True
        self.choices += [replace(c, start=c.start + begin) for c in choices]
        self.stats.tokens_read += len(choices)
        return True

    # -- proposing ----------------------------------------------------------------------------
    def _line_at(self, offset: int) -> int:
        """The region line holding read offset ``offset``."""
        index = 0
        while index + 1 < len(self.line_starts) and self.line_starts[index + 1] <= offset:
            index += 1
        return self.first_line + index

    def _propose(self, _cancel: CancelToken) -> bool:
        """The places worth trying: where the model's alternative beats the written token by
        the most (the problem's lines first)."""
        places: list[tuple[float, int, str]] = []  # (gap, choice index, alternative)
        for index, choice in enumerate(self.choices):
            line = self._line_at(choice.start)
            if line not in self.candidate_lines or not _changeable(choice.text):
                continue
            usable = [(a, lp) for a, lp in choice.alternatives if _insertable(a)]
            for alternative, logprob in usable[:ALTERNATIVES]:
                places.append((logprob - choice.logprob, index, alternative))
        places.sort(key=lambda p: -p[0])
        chosen = [p for p in places if self._line_at(self.choices[p[1]].start)
                  in self.problem_lines][:PROBLEM_PLACES]
        for place in places:
            if len({p[1] for p in chosen}) >= MAX_PLACES:
                break
            if place not in chosen:
                chosen.append(place)
        by_index: dict[int, list[str]] = {}
        for _, index, alternative in chosen:
            by_index.setdefault(index, []).append(alternative)
        self.stats.places = len(by_index)
        for index in sorted(by_index):
            self._steps.append(partial(self._try, index=index,
                                       alternatives=tuple(by_index[index])))
        self._steps.append(self._choose_scored)
        return True

    def _try(self, cancel: CancelToken, index: int, alternatives: tuple[str, ...]) -> bool:
        """Candidates at one place: each alternative as a substitution and as a rewrite."""
        choice = self.choices[index]
        line = self._line_at(choice.start)
        old = self.lines[line]
        column = choice.start - self.line_starts[line - self.first_line]
        at_end = choice.text.startswith("\n")
        rewrites = self.engine.explore(
            self._prompt_at(choice.start),
            GenerationParams(max_tokens=REWRITE_TOKENS, stop=("\n",)), alternatives, 1, cancel)
        if cancel.should_stop():
            return False
        # The original's own log-probability from here to the end of its line.
        line_end = self.line_starts[line - self.first_line] + len(old)
        own = sum(c.logprob for c in self.choices[index:] if c.start <= line_end)
        found: list[tuple[str, Kind, float]] = []
        for alternative in alternatives:
            if not at_end:
                gap = next(lp for a, lp in choice.alternatives if a == alternative) \
                    - choice.logprob
                text = old[:column] + alternative + old[column + len(choice.text):]
                found.append((text, "substitution", gap))
        for generation in rewrites:
            if generation.stop_reason != "stop" or generation.logprob is None:
                continue  # no line end within REWRITE_TOKENS: not a small edit
            found.append((old[:column] + generation.text, "rewrite", generation.logprob - own))
        seen = {_key(c.text) for c in self.candidates if c.line == line}
        for text, kind, gain in found:
            text = text.rstrip()
            if not text.strip() or _WORD.findall(text) == _WORD.findall(old) \
                    or _key(text) in seen:
                continue  # empty, only spaced differently, or already proposed
            if text.lstrip().startswith(self.comment) and not old.lstrip().startswith(
                    self.comment):
                continue
            if not self._keeps_names(line, old, text):
                continue
            seen.add(_key(text))
            errors = self._errors_with(line, text)
            if errors is not None and errors > self.errors_before:
                continue
            self.candidates.append(EditCandidate(line, text, kind, choice.start, errors or 0,
                                             edit_price(old, text), gain))
        self.stats.candidates = len(self.candidates)
        return True

    def _keeps_names(self, line: int, old: str, new: str) -> bool:
        """False for the edits a small model likes that break the code around them: a name
        the file has nowhere (a made-up rename, an attribute that does not exist), or a line
        that stops binding a name the rest of the region still uses."""
        old_names = set(_NAME.findall(old))
        if set(_NAME.findall(new)) - old_names - self.known_names:
            return False
        bound = _BINDING.match(old)
        if bound is None or bound.group(1) in _NAME.findall(new):
            return True
        others = "\n".join(self.lines[:line] + self.lines[line + 1:])
        return re.search(rf"\b{re.escape(bound.group(1))}\b", others) is None

    def _errors_with(self, line: int, text: str) -> int | None:
        lines = list(self.lines)
        lines[line] = text
        document = self.text[:self.region.start] + "\n".join(lines) + self.text[self.region.end:]
        return syntax.count_errors(document, self.language_id)

    # -- scoring ------------------------------------------------------------------------------
    def _choose_scored(self, _cancel: CancelToken) -> bool:
        """The most promising candidates have their effect on the following code measured."""
        ranked = sorted(self.candidates, key=lambda c: (c.errors, -c.score))[:SCORED]
        for candidate in sorted(ranked, key=lambda c: c.offset):
            self._steps.append(partial(self._score, candidate=candidate))
        return True

    def _score(self, cancel: CancelToken, candidate: EditCandidate) -> bool:
        """gain = log P(the changed text | before) - log P(the original text | before), from the
        change to the end of the window (``WINDOW_LINES`` lines after the changed one)."""
        row = candidate.line - self.first_line
        window_line = min(row + WINDOW_LINES + 1, len(self.line_starts))
        wanted_end = self.line_starts[window_line] if window_line < len(self.line_starts) \
            else len(self.read_text)
        # The window ends where a token of the original begins (a line break may be joined
        # with the next line's).
        end = next((c.start for c in self.choices if c.start >= wanted_end), len(self.read_text))
        old_line = self.lines[candidate.line]
        line_start = self.line_starts[row]
        changed = self.read_text[:line_start] + candidate.text + \
            self.read_text[line_start + len(old_line):]
        shift = len(candidate.text) - len(old_line)
        text = changed[candidate.offset:end + shift]
        scored = self.engine.token_choices(self._prompt_at(candidate.offset), text, 0, cancel)
        if scored is None:  # stopped (runs again), or cannot be measured (keeps its first gain)
            return not cancel.should_stop()
        original = sum(c.logprob for c in self.choices if candidate.offset <= c.start < end)
        gain = sum(c.logprob for c in scored) - original
        self.candidates = [replace(c, gain=gain) if c == candidate else c
                           for c in self.candidates]
        self.stats.scored += 1
        return True


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


def _changeable(token: str) -> bool:
    """Tokens worth replacing: code, or the break that ends a line (an alternative there is
    inserted at the line's end); not indentation or breaks inside a token."""
    if token.startswith("\n"):
        return not token.strip()
    return bool(token.strip()) and "\n" not in token and "\ufffd" not in token


def _insertable(alternative: str) -> bool:
    return bool(alternative.strip()) and "\n" not in alternative and "\ufffd" not in alternative


def _key(line: str) -> str:
    return " ".join(line.split())
