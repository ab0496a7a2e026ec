"""Checking a suggestion against the code around it, and choosing a better one when it fails.

A model without fill-in-the-middle writes the likeliest continuation of the prefix, blind to the
code after the cursor. Every suggestion is therefore checked: it must not add syntax errors to
the document (tree-sitter, re-parsed incrementally), and in languages where indentation is
syntax it must fit the lines around it (a line followed by a deeper one opens a block).
When the greedy suggestion fails a check, or is empty, a few alternatives are explored
(other first tokens, the indentation the layout calls for, a definition of a name the suffix
uses but nothing before defines) and ranked: valid ones first, then by the model's
log-probability of the candidate followed by the first tokens of the suffix, which is how
well it leads into the code that is already there.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from . import holes, languages, project_helpers
from .engines.base import BranchingEngine, CancelToken, Generation, GenerationParams, Prompt
from .project_helpers import Helper
from .syntax import error_nodes
from .syntax_trees import Parsed

WIDTH = 4  # first tokens tried per start
# log-probability (nats) credited to a candidate calling a helper the project offers at the
# cursor: an imported function not used yet, a method of the object in hand. The model finds
# a bare variable likelier than a call to a name it has seen once in the prompt.
HELPER_PRIOR = 4.0
HELPER_WIDTH = 2  # first tokens tried for the model's own start when helpers are explored
HOLE_WIDTH = 2  # first tokens tried per start in a hole
EXPLORE_HOLE_LINES = 1  # an alternative in a hole is its first line (the greedy one gives more)
MAX_STARTS = 3
MAX_MEMBER_STARTS = 8
PROBE_CHARS = 16  # of the next line's text, scored after a candidate

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Site:
    """The cursor as ranking sees it."""

    language_id: str
    prefix: str  # the window's text before the cursor
    suffix: str  # the window's text after the cursor
    eol: str
    parsed: Parsed | None = None  # the document's tree, to re-parse with a suggestion in it
    offset: int = 0  # the cursor in ``parsed.text``
    members: tuple[str, ...] = ()  # after `module.`: the names the module defines
    hole: holes.Hole | None = None  # an empty line with code after it: how much is missing
    helpers: tuple[Helper, ...] = ()  # the project's functions worth calling here

    @property
    def line_before(self) -> str:
        return self.prefix[self.prefix.rfind("\n") + 1:]

    @cached_property
    def known_names(self) -> frozenset[str]:
        """Every identifier in the window around the cursor."""
        return frozenset(_IDENT.findall(self.prefix)) | frozenset(_IDENT.findall(self.suffix))

    @property
    def line_after(self) -> str:
        return self.suffix.split("\n", 1)[0].rstrip("\r")

    @property
    def at_line_start(self) -> bool:
        return not self.line_before.strip() and not self.line_after.strip()


@dataclass(frozen=True)
class Candidate:
    text: str
    origin: str = "greedy"  # how it was produced, for the record
    errors: int = 0  # syntax errors it adds to the document
    fits: bool = True  # its layout agrees with the lines around it
    score: float | None = None  # log P(candidate + probe | prompt)
    missing: int = 0  # in a hole: names the code below needs that it leaves undefined

    @property
    def valid(self) -> bool:
        return bool(self.text.strip()) and self.errors <= 0 and self.fits

    def is_code(self, language_id: str) -> bool:
        """More than a comment."""
        comment = languages.comment_line(language_id)
        return any(line.strip() and not comment.match(line) for line in self.text.split("\n"))


@dataclass
class Ranking:
    """What happened, for logs, status and tests."""

    explored: bool = False
    candidates: list[Candidate] = field(default_factory=list)
    explore_ms: float = 0.0
    score_ms: float = 0.0


def check(text: str, site: Site, origin: str = "greedy") -> Candidate:
    """A suggestion with its checks filled in; one that adds syntax errors is cut back to its
    longest beginning that does not (when there is one)."""
    errors = _added_errors(text, site)
    if errors > 0:
        trimmed = _trimmed(text, site)
        if trimmed:
            text, errors, origin = trimmed, 0, origin + ", trimmed"
    missing = len(site.hole.needs) - holes.defines_needs(text, site.hole) if site.hole else 0
    return Candidate(text, origin, errors, layout_fits(text, site) and names_fit(text, site)
                     and helper_calls_fit(text, site), missing=missing)


def fills(text: str, site: Site, origin: str = "greedy") -> list[Candidate]:
    """The candidates a generation gives: itself, or in a hole each of its beginnings that
    ends with a whole line (shortest first), checked."""
    if site.hole is None:
        return [check(text, site, origin)]
    found: list[Candidate] = []
    seen: set[str] = set()
    for piece in holes.cuts(text) or [text]:
        candidate = check(piece, site, origin)
        if candidate.text not in seen:
            seen.add(candidate.text)
            found.append(candidate)
    return found


_PARTIAL = re.compile(r"\w*$")
_LEADING_WORD = re.compile(r"\w*")


def names_fit(text: str, site: Site) -> bool:
    """After `module.`, the suggestion must name something the module defines."""
    if not site.members:
        return True
    partial = _PARTIAL.search(site.line_before)
    leading = _LEADING_WORD.match(text)
    word = (partial.group() if partial else "") + (leading.group() if leading else "")
    return word in site.members


def _added_errors(text: str, site: Site) -> int:
    parsed = site.parsed
    if parsed is None or not text:
        return 0
    return parsed.errors_after_insert(site.offset, text) - parsed.error_count


_ENDS_BLOCK = re.compile(r"\s*(return|raise|break|continue)\b")
_indent = holes.indent_width
_code = holes.without_comment  # the line without a trailing comment


def undefined_names(site: Site) -> list[str]:
    """Names the code below the cursor reads that nothing above defines (``holes``)."""
    return holes.undefined_names(site.prefix, site.suffix)


def _opens_block(line: str) -> bool:
    return _code(line).endswith(":")


def _neighbours(site: Site) -> tuple[str, str | None]:
    """The last non-blank line before the cursor's, and the first non-blank one after it."""
    above = [line for line in site.prefix.split("\n")[:-1] if line.strip()]
    below = [line for line in site.suffix.split("\n")[1:] if line.strip()]
    return (above[-1] if above else ""), (below[0] if below else None)


def layout_fits(text: str, site: Site) -> bool:
    """In an off-side language: does a suggestion's indentation agree with the lines around
    it? A block opener is followed by a deeper line; anything else is not; a line after an
    opener is deeper than it. (Other languages: always True; their syntax check suffices.)"""
    if not languages.is_offside(site.language_id) or not text.strip():
        return True
    lines = (site.line_before + text).split("\n")
    first, last = lines[0], lines[-1]
    previous, following = _neighbours(site)
    if previous and first.strip():
        if _opens_block(previous) and _indent(first) <= _indent(previous):
            return False
        if not _opens_block(previous) and _indent(first) > _indent(previous):
            return False
    if following is not None and site.line_after.strip() == "" and last.strip():
        deeper = _indent(following) > _indent(last)
        if deeper != _opens_block(last):
            return False
    return True


def probe(site: Site) -> str:
    """What follows a suggestion, to score it by: the rest of the line, then the beginning of
    the next non-blank line (its indentation and first words: a few tokens say most of what
    the suffix can tell, and each scored token costs a full row of logits)."""
    lines = site.suffix.replace("\r\n", "\n").split("\n")
    taken = [lines[0][:PROBE_CHARS]]
    for line in lines[1:]:
        if not line.strip():
            taken.append("")
            continue
        body = line.lstrip()
        taken.append(line[:len(line) - len(body)] + body[:PROBE_CHARS])
        break
    return "\n".join(taken)


def starts(site: Site, indent_unit: str = "    ") -> list[str]:
    """Forced beginnings worth exploring, besides the model's own ("") choice: after
    `module.`, the module's names; at the start of a line, the indentation the layout calls
    for, and a definition of a name the code below reads but nothing above defines; and calls
    to the project's helpers (``project_helpers``)."""
    found = _layout_starts(site, indent_unit)
    return found + [start for start in helper_starts(site) if start not in found]


def helper_starts(site: Site) -> list[str]:
    """The beginnings of calls to the helpers, at the indentation the layout calls for when
    the cursor is at a line's start."""
    if not site.at_line_start:
        return [helper.call for helper in site.helpers]
    have = len(site.line_before.expandtabs(4))
    level = site.hole.level if site.hole is not None else have
    return [" " * max(0, level - have) + helper.call for helper in site.helpers]


def _written(text: str, site: Site) -> str:
    """The candidate with the word typed before the cursor."""
    partial = _PARTIAL.search(site.line_before)
    return (partial.group() if partial else "") + text


def uses_helper(text: str, site: Site) -> bool:
    """Whether a candidate calls one of the helpers offered at the cursor."""
    written = _written(text, site)
    return any(re.search(rf"\b{re.escape(helper.name)}\s*\(", written)
               for helper in site.helpers)


def helper_calls_fit(text: str, site: Site) -> bool:
    """A call to a helper passes the arguments its signature asks for, made of names the code
    around the cursor knows (the model often invents them: ``add_vat(total, rate=rate)``)."""
    if not site.helpers:
        return True
    written = _written(text, site)
    return all(project_helpers.call_fits(helper, written, site.known_names, site.language_id)
               for helper in site.helpers)


def _layout_starts(site: Site, indent_unit: str) -> list[str]:
    if site.members:
        partial = _PARTIAL.search(site.line_before)
        typed = partial.group() if partial else ""
        return [name[len(typed):] for name in site.members if name.startswith(typed)
                and name != typed][:MAX_MEMBER_STARTS] or [""]
    if not languages.is_offside(site.language_id) or not site.at_line_start:
        return [""]
    previous, following = _neighbours(site)
    have = len(site.line_before.expandtabs(4))
    if previous and _opens_block(previous):
        levels = [_indent(previous) + len(indent_unit)]  # the first line of a new block
    elif previous and _ENDS_BLOCK.match(previous):
        levels = [max(0, _indent(previous) - len(indent_unit))]  # nothing runs after a return
        if following is not None and _indent(following) < levels[0]:
            levels.append(_indent(following))
    else:
        levels = [_indent(previous)] if previous else [have]
        if following is not None and _indent(following) < levels[0]:
            levels.append(_indent(following))  # or a dedent to where the next line is
    # At a line's start the model's own first token is mostly indentation; branching is worth
    # more on the first word, so the layout's indentation is forced instead.
    found = [""] if levels[0] <= have else []
    names = undefined_names(site)
    if names:
        opener = following is not None and _indent(following) > levels[0]
        level = levels[0] if opener or following is None else _indent(following)
        pad = " " * max(0, level - have)
        found.append(f"{pad}for {names[0]} in" if opener else f"{pad}{names[0]} =")
    for level in levels:
        if level > have and " " * (level - have) not in found:
            found.append(" " * (level - have))
    return found[:MAX_STARTS] or [""]


MAX_TRIMS = 24


def without_new_errors(candidate: Candidate, site: Site) -> str:
    """What may be shown of a checked candidate: nothing if it still adds syntax errors."""
    return candidate.text if candidate.errors <= 0 else ""


def _trimmed(text: str, site: Site) -> str:
    """``text`` cut back to its longest beginning that adds no syntax error ("" if none)."""
    for cut in _cut_points(text)[:MAX_TRIMS]:
        piece = text[:cut].rstrip()
        if piece.strip() and _added_errors(piece, site) <= 0:
            return piece
    return ""


def _cut_points(text: str) -> list[int]:
    """Where a suggestion may end, longest first: line ends, then word and bracket ends."""
    points = {i for i, char in enumerate(text) if char == "\n"}
    for match in re.finditer(r"\w+|[)\]}\"']", text):
        points.add(match.end())
    points.discard(len(text))
    return sorted(points, reverse=True)


def _unfinished(site: Site) -> bool:
    """Whether the code at the cursor waits for more: a blank line, or a syntax error on the
    cursor's line (``x = ``, ``call(``). At the end of a finished line, no suggestion is the
    right answer, and exploring would only find something to tack on."""
    if site.at_line_start or site.parsed is None or _DANGLING.search(site.line_before):
        return True
    parsed = site.parsed
    low = parsed.byte(site.offset - len(site.line_before))
    high = parsed.byte(site.offset + len(site.line_after))
    return any(node.start_byte <= high and node.end_byte >= low
               for node in error_nodes(parsed.tree))


# A line ending in an operator, an opening bracket or a keyword that needs an operand is not
# finished (the parser often reports the error only on the next line).
_DANGLING = re.compile(r"([-+*/%=<>!&|^~,.([{:\\@]|\b(return|and|or|not|in|is|if|elif|else|for|"
                       r"while|with|lambda|await|yield|import|from|as|def|class|raise|assert|"
                       r"new|var|let|const|case|throw))\s*$")


def _between_code(site: Site) -> bool:
    """On an empty line with code above and below: a comment there is seldom what is
    missing, so a comment-only suggestion is worth comparing with code alternatives."""
    previous, following = _neighbours(site)
    return site.at_line_start and bool(previous) and following is not None \
        and not languages.comment_line(site.language_id).match(following)


def _with_prior(score: float | None, candidate: Candidate, site: Site) -> float | None:
    if score is None or not site.helpers or not uses_helper(candidate.text, site):
        return score
    return score + HELPER_PRIOR


def choose(candidates: Sequence[Candidate], prefer_code: bool = False,
           language_id: str = "") -> Candidate:
    """Valid ones first, then non-empty ones; in a hole, those defining what the code below
    needs and those removing the syntax errors the hole made; (then, between lines of code,
    code over comments); then by score when known; the earlier (greedy, shorter) one on
    ties."""
    def key(item: tuple[int, Candidate]) -> tuple[bool, bool, bool, int, int, bool, float, int]:
        index, c = item
        return (c.valid, bool(c.text.strip()), c.errors <= 0, -c.missing, -c.errors,
                c.is_code(language_id) or not prefer_code,
                c.score if c.score is not None else float("-inf"), -index)

    return max(enumerate(candidates), key=key)[1]


SCORE_SHARE = 0.2  # of the time left when exploring starts, kept for scoring what it finds


def _leaving_time_to_score(cancel: CancelToken, now: float) -> CancelToken:
    """Exploring stops in time for its candidates to be scored."""
    if cancel.deadline is None:
        return cancel
    return cancel.with_deadline(now + (cancel.deadline - now) * (1 - SCORE_SHARE))


class Ranker:
    """Explores and ranks with an engine that can branch (``BranchingEngine``). The pipeline
    asks whether exploring is worth it, has alternatives explored, post-processes them itself
    and has them ranked: ranking never calls back into the pipeline."""

    def __init__(self, engine: BranchingEngine) -> None:
        self.engine = engine

    def worth_exploring(self, firsts: Sequence[Candidate], site: Site, *,
                        always: bool = False) -> bool:
        """Whether the best of ``firsts`` (the greedy suggestion, or in a hole its beginnings)
        fails a check (or ``always``, or there is none yet): a valid suggestion that is code
        (or a comment where a comment fits), defines what a hole needs and calls a helper the
        project offers here is kept, and so is no suggestion where the code at the cursor is
        finished."""
        if always or not firsts:
            return True
        first = choose(firsts, _between_code(site), site.language_id)
        settled = first.valid and first.missing <= 0 and (
            first.is_code(site.language_id) or not _between_code(site)) and (
            not site.helpers or uses_helper(first.text, site))
        nothing_needed = not first.text.strip() and not _unfinished(site)
        return not (settled or nothing_needed)

    def explore(self, prompt: Prompt, params: GenerationParams, site: Site, cancel: CancelToken
                ) -> tuple[list[Generation], float]:
        """Alternatives (other first tokens, the starts ``starts`` forces, calls to helpers),
        and how long exploring took (ms). In a hole they keep what they wrote when time ran
        out (their whole lines are candidates); elsewhere only finished ones are kept. Exploring
        stops in time for what it found to be scored."""
        forced = starts(site)
        calls = set(helper_starts(site))
        # A call to a helper is worth one branch (its arguments the model's own); the other
        # starts share the rest.
        others = max(1, len([s for s in forced if s not in calls]))
        each = WIDTH if others < 3 else max(1, 8 // others)
        if calls:
            each = max(1, min(each, (8 - len(calls)) // others, HELPER_WIDTH))
        if site.hole is not None:
            each = min(each, HOLE_WIDTH)  # every branch may run for several lines
            params = replace(params, stop_when=holes.stop_condition(
                site.hole, site.line_before, EXPLORE_HOLE_LINES))
        width = [1 if start in calls else each for start in forced]
        began = time.monotonic()
        found = self.engine.explore(prompt, params, forced, width,
                                    _leaving_time_to_score(cancel, began))
        if site.hole is None:  # a line cut short is no suggestion
            found = [g for g in found if g.stop_reason in ("eos", "stop", "length")]
        return found, (time.monotonic() - began) * 1000

    def rank(self, prompt: Prompt, params: GenerationParams, firsts: Sequence[Candidate],
             alternatives: Sequence[str], site: Site, cancel: CancelToken,
             explore_ms: float = 0.0) -> tuple[Candidate, Ranking]:
        """The best of ``firsts`` and the (post-processed) alternatives: checked (in a hole,
        each beginning that ends a line), then scored by how they lead into the suffix, a call
        to a helper credited ``HELPER_PRIOR``."""
        ranking = Ranking(explored=True, candidates=list(firsts), explore_ms=explore_ms)
        seen = {c.text for c in firsts}
        for text in alternatives:
            for candidate in fills(text, site, origin="explored"):
                if candidate.text not in seen:
                    seen.add(candidate.text)
                    ranking.candidates.append(candidate)
        # Only candidates that pass the checks compete on score (the others rank below them
        # anyway), unless none does.
        pool = [c for c in ranking.candidates if c.valid] or [
            c for c in ranking.candidates if c.text.strip()]
        if len(pool) > 1 and not cancel.should_stop():
            after = probe(site)
            began = time.monotonic()
            scores = self.engine.logprobs(prompt, [c.text + after for c in pool], params.heal,
                                          cancel)
            ranking.score_ms = (time.monotonic() - began) * 1000
            scored = {c.text: s for c, s in zip(pool, scores, strict=True)}
            ranking.candidates = [replace(c, score=_with_prior(scored.get(c.text), c, site))
                                  for c in ranking.candidates]
        if not ranking.candidates:
            return Candidate(""), ranking
        return choose(ranking.candidates, _between_code(site), site.language_id), ranking
