"""Quick fixes with base models: the small edit, among the usual bugs, that the model finds
makes the code likeliest.

A small base model (the embedded Gemma 3 270M) cannot follow "fix this bug", but it is a fair
language model of code: the right version of a line is often likelier to it than the buggy
one. So instead of asking for a corrected version, hearth lists the small edits a bug usually
needs and lets the model judge them:

1. read: each token of the lines that may hold the bug, with its log-probability and the
   model's likeliest other tokens there (``TokenScoringEngine.token_choices``); the lines are
   the function's body, around the problem's line when a diagnostic or a traceback points at
   one (fix_reading.py);
2. propose, two ways: *structural* edits of the usual one-token bug classes, made by rule from
   the syntax tree (mutations.py: ``<`` for ``<=``, ``j`` for ``j - 1``, another variable in
   scope, a negation, operands swapped, ...), and the *model's own* edits where it most
   expected something else (the expected token swapped in, or the line finished its way,
   explored for every alternative at a place at once with ``BranchingEngine.explore``).
   Candidates that add syntax errors, turn code into a comment, only re-space a line, bring in
   a name the file has nowhere or stop binding a name the code still uses are dropped; the rest
   get a first estimate from the reading (fix_candidates.py);
3. score: the most promising ones have their gain measured: how much likelier the model finds
   the code with the change, from the changed line to the end of the line after it (so the
   code that follows has its say), against the code as it is, with the same prompt. A
   candidate's score is that gain less its price (the model's edits pay per word they remove
   or add; deleting code must pay its way), plus a bonus on the problem's line;
4. choose: the best candidate is proposed when it parses better than the original or its score
   beats ``MARGIN``; otherwise the search says that no small change is clearly better than the
   code as it is.

The work is a queue of short steps. A step is one engine call or a few; when the engine stops
it (a cancel, the deadline, or a completion waiting, see ``GiveWay``) it stays in the queue
and runs again later.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol, TypeGuard

from .. import regions, syntax
from ..engines.base import (
    BranchingEngine,
    CancelToken,
    Engine,
    Generation,
    GenerationParams,
    Prompt,
    TokenChoice,
    TokenScoringEngine,
)
from ..regions import Region
from . import dataflow
from . import fix_candidates as fc
from .fix_candidates import EditCandidate
from .fix_reading import ReadPlan, plan_reading
from .mutations import mutations

ALTERNATIVES = 2  # the model's likeliest other tokens tried at each place
READ_ALTERNATIVES = 8  # listed per token when reading (first estimates of structural edits)
MAX_PLACES = 8  # places where the model's own edits are explored (each costs an exploration)
PROBLEM_PLACES = 3  # of which on the problem's line, when a diagnostic points at one
SCORED_STRUCTURAL = 40  # structural candidates measured to the end of their line
SCORED_MODEL = 4  # and the model's own
SCORED_LONG = 8  # the best of which are measured again, to the end of the next line
BATCH = 8  # texts measured at once (the engine's parallel sequences)
REWRITE_TOKENS = 32  # a rewritten line longer than this is not a small edit
MARGIN = 1.0  # a candidate must score above this (nats) to be proposed


class SearchEngine(Engine, BranchingEngine, TokenScoringEngine, Protocol):
    """What the search needs of an engine (local engines have it; inference servers do not)."""


def can_search(engine: Engine) -> TypeGuard[SearchEngine]:
    return isinstance(engine, BranchingEngine) and isinstance(engine, TokenScoringEngine)


@dataclass
class SearchStats:
    tokens_read: int = 0
    places: int = 0
    structural: int = 0  # structural candidates that passed the checks
    candidates: int = 0
    measured: int = 0  # to the end of their line
    scored: int = 0  # and to the end of the next one
    tokens_scored: int = 0
    # Where the time went (ms): reading the code, exploring the model's edits, scoring.
    read_ms: float = 0.0
    explore_ms: float = 0.0
    score_ms: float = 0.0


class EditSearch:
    """The search for one region; ``step`` until ``done``, then ``best``."""

    def __init__(self, engine: SearchEngine, text: str, language_id: str, region: Region,
                 problem_lines: Sequence[int], focus_line: int, header: str,
                 comment: str = "#") -> None:
        self.engine = engine
        self.comment = comment  # a line turned into a comment deletes code: never a fix
        self.known_names = fc.file_names(text, language_id)
        self.text = text
        self.language_id = language_id
        self.region = region
        self.region_text = region.text(text)
        self.lines = regions.split_lines(self.region_text)
        self.problem_lines = [i for i in problem_lines if 0 <= i < len(self.lines)]
        self.focus_line = focus_line
        self.header = header
        self.stats = SearchStats()
        self.errors_before = syntax.count_errors(self.region_text, language_id) or 0
        self.choices: list[TokenChoice] = []  # of the read text, offsets in it
        self.candidates: list[EditCandidate] = []
        self._steps: deque[Callable[[CancelToken], bool]] = deque([self._plan])
        self._originals: dict[tuple[int, int], float] = {}  # (anchor, end) → log P(original)
        self.reading = ReadPlan()  # what is read of the region: set by _plan

    @property
    def context(self) -> str:
        return self.reading.context

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
        return fc.best_candidate(self.candidates, self.errors_before, MARGIN)

    def new_region_text(self, candidate: EditCandidate) -> str:
        return candidate.apply(self.region_text)

    # -- planning ---------------------------------------------------------------------------
    def _plan(self, _cancel: CancelToken) -> bool:
        centre = self.problem_lines[0] if self.problem_lines else self.focus_line
        reading = plan_reading(self.text, self.region, self.lines, centre, self.header,
                               self.engine.count_tokens)
        if reading is None:
            return True  # no body: nothing to read
        self.reading = reading
        for begin, end in reading.steps():
            self._steps.append(partial(self._read, begin=begin, end=end))
        self._steps.append(self._propose)
        return True

    # -- reading ------------------------------------------------------------------------------
    def _read(self, cancel: CancelToken, begin: int, end: int) -> bool:
        with _timer(self.stats, "read_ms"):
            return self._read_chunk(cancel, begin, end)

    def _read_chunk(self, cancel: CancelToken, begin: int, end: int) -> bool:
        reading = self.reading
        choices = self.engine.token_choices(reading.prompt_at(begin),
                                            reading.read_text[begin:end], READ_ALTERNATIVES,
                                            cancel)
        if choices is None:
            if cancel.should_stop():
                return False
            self._steps.clear()  # the text does not fit the model's context: no candidates
            return True
        self.choices += [replace(c, start=c.start + begin) for c in choices]
        self.stats.tokens_read += len(choices)
        return True

    # -- proposing ----------------------------------------------------------------------------
    def _propose(self, _cancel: CancelToken) -> bool:
        self._propose_structural()
        self._propose_places()
        self._steps.append(self._choose_scored)
        return True

    def _propose_structural(self) -> None:
        """The usual one-token bugs on the lines read, made from the syntax tree."""
        region_line = self.text.count("\n", 0, self.region.start)
        reading = self.reading
        lines = {region_line + i for i in reading.candidate_lines}
        seen: set[str] = set()
        for mutation in mutations(self.text, self.language_id, self.region.start,
                                  self.region.end, lines):
            start, end = mutation.start - self.region.start, mutation.end - self.region.start
            changed = self.region_text[:start] + mutation.text + self.region_text[end:]
            if changed in seen:
                continue
            seen.add(changed)
            errors = syntax.count_errors(changed, self.language_id)
            if (errors is not None and errors > self.errors_before) or self._adds_flaws(changed):
                continue
            line = reading.region_line(start)
            if reading.region_line(max(start, end - 1)) not in reading.candidate_lines:
                continue  # ends past the lines read
            gain = fc.first_token_gain(self.choices, reading.read_text,
                                       start - reading.read_base, end - reading.read_base,
                                       mutation.text)
            self.candidates.append(EditCandidate(
                start, end, mutation.text, mutation.kind, line, errors or 0,
                fc.STRUCTURAL_PRICE, gain, bonus=self._bonus(line)))
        self.stats.structural = len(self.candidates)

    def _propose_places(self) -> None:
        """The places worth trying the model's own edits: where its alternative beats the
        written token by the most (the problem's lines first)."""
        places: list[tuple[float, int, str]] = []  # (gap, choice index, alternative)
        for index, choice in enumerate(self.choices):
            line = self.reading.line_at(choice.start)
            if line not in self.reading.candidate_lines or not fc.changeable(choice.text):
                continue
            usable = [(a, lp) for a, lp in choice.alternatives if fc.insertable(a)]
            for alternative, logprob in usable[:ALTERNATIVES]:
                places.append((logprob - choice.logprob, index, alternative))
        places.sort(key=lambda p: -p[0])
        chosen = [p for p in places if self.reading.line_at(self.choices[p[1]].start)
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
            alternatives = tuple(by_index[index])
            if self.errors_before:  # a syntax error: the model may finish the line its way
                self._steps.append(partial(self._try, index=index, alternatives=alternatives))
            else:
                self._add_model_candidates(index, alternatives, [])

    def _try(self, cancel: CancelToken, index: int, alternatives: tuple[str, ...]) -> bool:
        """The model's candidates at one place: each alternative as a substitution and as a
        rewrite of the rest of the line."""
        choice = self.choices[index]
        with _timer(self.stats, "explore_ms"):
            rewrites = self.engine.explore(
                self.reading.prompt_at(choice.start),
                GenerationParams(max_tokens=REWRITE_TOKENS, stop=("\n",)), alternatives, 1,
                cancel)
        if cancel.should_stop():
            return False
        self._add_model_candidates(index, alternatives, rewrites)
        return True

    def _add_model_candidates(self, index: int, alternatives: tuple[str, ...],
                              rewrites: Sequence[Generation]) -> None:
        """Each alternative swapped in for the token (inserted, at a line's end), and each
        rewrite of the rest of the line, as candidates."""
        choice, reading = self.choices[index], self.reading
        line = reading.line_at(choice.start)
        old = self.lines[line]
        line_start = reading.line_starts[line - reading.first_line]
        column = choice.start - line_start
        at_end = choice.text.startswith("\n")
        # The original's own log-probability from here to the end of its line.
        line_end = line_start + len(old)
        own = sum(c.logprob for c in self.choices[index:] if c.start <= line_end)
        found: list[tuple[str, str, float]] = []
        for alternative in alternatives:
            gap = next(lp for a, lp in choice.alternatives if a == alternative) \
                - choice.logprob
            text = old + alternative if at_end else \
                old[:column] + alternative + old[column + len(choice.text):]
            found.append((text, "substitution", gap))
        for generation in rewrites:
            if generation.stop_reason != "stop" or generation.logprob is None:
                continue  # no line end within REWRITE_TOKENS: not a small edit
            found.append((old[:column] + generation.text, "rewrite", generation.logprob - own))
        start = reading.line_offsets[line]
        seen = {self.new_region_text(c) for c in self.candidates}
        for text, kind, gain in found:
            text = text.rstrip()
            candidate = EditCandidate(start, start + len(old), text, kind, line, 0,
                                      fc.MODEL_PRICE + fc.edit_price(old, text), gain,
                                      bonus=self._bonus(line))
            changed = self.new_region_text(candidate)
            if not text.strip() or fc.respaced_only(old, text) or changed in seen:
                continue  # empty, only spaced differently, or already proposed
            if text.lstrip().startswith(self.comment) and not old.lstrip().startswith(
                    self.comment):
                continue
            if not fc.keeps_names(self.lines, line, old, text, self.known_names):
                continue
            seen.add(changed)
            errors = syntax.count_errors(changed, self.language_id)
            if (errors is not None and errors > self.errors_before) or self._adds_flaws(changed):
                continue
            self.candidates.append(replace(candidate, errors=errors or 0))
        self.stats.candidates = len(self.candidates)

    def _adds_flaws(self, changed: str) -> bool:
        """An unbound or unused variable, a loop variable reassigned, a value compared with
        itself (dataflow.py): never the repair."""
        indent = len(self.region_text) - len(self.region_text.lstrip())
        return dataflow.adds_flaws(self.region_text, changed, self.language_id, indent)

    def _keeps_names(self, line: int, old: str, new: str) -> bool:
        return fc.keeps_names(self.lines, line, old, new, self.known_names)

    def _bonus(self, line: int) -> float:
        return fc.PROBLEM_BONUS if line in self.problem_lines else 0.0

    # -- scoring ------------------------------------------------------------------------------
    def _choose_scored(self, _cancel: CancelToken) -> bool:
        """The most promising candidates of each kind are measured to the end of their line,
        then the best of those to the end of the next line."""
        self.stats.candidates = len(self.candidates)

        def rank(pool: list[EditCandidate], count: int) -> list[EditCandidate]:
            return sorted(pool, key=lambda c: (c.errors, -c.score))[:count]

        model = [c for c in self.candidates if c.kind in ("substitution", "rewrite")]
        structural = [c for c in self.candidates if c.kind not in ("substitution", "rewrite")]
        groups: dict[tuple[int, int], list[tuple[EditCandidate, str]]] = {}
        for candidate in rank(structural, SCORED_STRUCTURAL) + rank(model, SCORED_MODEL):
            window = self.reading.short_window(candidate, self.choices)
            if window is not None:
                anchor, end, changed = window
                groups.setdefault((anchor, end), []).append((candidate, changed))
        for (anchor, end), members in sorted(groups.items()):
            for begin in range(0, len(members), BATCH):
                self._steps.append(partial(self._score_group, anchor=anchor, end=end,
                                           members=members[begin:begin + BATCH], long=False))
        self._steps.append(self._choose_long)
        return True

    def _choose_long(self, _cancel: CancelToken) -> bool:
        measured = [c for c in self.candidates if c.short_gain is not None]
        groups: dict[tuple[int, int], list[tuple[EditCandidate, str]]] = {}
        for candidate in sorted(measured, key=lambda c: (c.errors, -c.score))[:SCORED_LONG]:
            anchor, end, changed = self.reading.long_window(candidate)
            groups.setdefault((anchor, end), []).append((candidate, changed))
        for (anchor, end), members in sorted(groups.items()):
            for begin in range(0, len(members), BATCH - 1):  # with the original
                self._steps.append(partial(self._score_group, anchor=anchor, end=end,
                                           members=members[begin:begin + BATCH - 1], long=True))
        return True

    def _score_group(self, cancel: CancelToken, anchor: int, end: int,
                     members: list[tuple[EditCandidate, str]], long: bool) -> bool:
        """gain = log P(changed | before) - log P(original | before) over one window, for
        candidates sharing it: at once, in parallel sequences. The original's share comes from
        the reading for the short window, and is measured alongside for the long one."""
        original = self.reading.read_text[anchor:end]
        known = self._originals.get((anchor, end)) if long else \
            sum(c.logprob for c in self.choices if anchor <= c.start < end)
        texts = [changed for _, changed in members] + ([original] if known is None else [])
        logprobs = self._logprobs(self.reading.prompt_at(anchor), texts, cancel)
        if logprobs is None:
            return not cancel.should_stop()  # stopped: runs again
        if known is None:
            known = logprobs[-1]
            if known is None:
                return True  # cannot be measured: the candidates keep their estimates
            self._originals[anchor, end] = known
        for (candidate, _), logprob in zip(members, logprobs, strict=False):
            if logprob is None:
                continue
            if long:
                self._update(candidate, gain=logprob - known)
                self.stats.scored += 1
            else:
                self._update(candidate, short_gain=logprob - known)
                self.stats.measured += 1
        return True

    def _update(self, candidate: EditCandidate, **changes: float) -> None:
        self.candidates = [replace(c, **changes) if c == candidate else c  # type: ignore[arg-type]
                           for c in self.candidates]

    def _logprobs(self, prompt: Prompt, texts: list[str], cancel: CancelToken
                  ) -> list[float | None] | None:
        """log P(text | prompt) for each text, in one batch of parallel sequences (one text
        at a time where the engine has no room for them); None when stopped."""
        with _timer(self.stats, "score_ms"):
            results = self.engine.logprobs(prompt, texts, False, cancel)
            if cancel.should_stop():
                return None
            for index, text in enumerate(texts):
                if results[index] is None:
                    scored = self.engine.token_choices(prompt, text, 0, cancel)
                    if scored is None and cancel.should_stop():
                        return None
                    results[index] = sum(c.logprob for c in scored) if scored else None
        self.stats.tokens_scored += sum(self.engine.count_tokens(t) for t in texts)
        return results


@contextmanager
def _timer(stats: SearchStats, name: str) -> Iterator[None]:
    began = time.monotonic()
    try:
        yield
    finally:
        setattr(stats, name, getattr(stats, name) + (time.monotonic() - began) * 1000)

