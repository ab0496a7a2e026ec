"""Candidate edits for the fix search (fix_search.py): what one is, what it costs, which ones
are dropped before the model scores them, and how the structural ones (mutations.py) are
placed and given a first estimate from the reading the search already did."""

from __future__ import annotations

import builtins
import difflib
import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..engines.base import TokenChoice

# Prices in nats. The model's own edits pay per word (identifier, number or operator) they
# remove or add: bugs are small, and a shorter line is always likelier, so deleting code must
# pay its way. A structural edit is one token-sized change of a known bug class and pays a flat
# price instead.
REMOVED_PRICE = 3.0
ADDED_PRICE = 1.0
STRUCTURAL_PRICE = 0.5
# The model's own edits are unconstrained: a line it finds likelier is as often a shortcut (a
# shorter, more common line) as a repair. They pay this on top of their size.
MODEL_PRICE = 3.0
# Where the problem points (a traceback's line, a diagnostic's range), edits are likelier fixes.
PROBLEM_BONUS = 1.0
UNLISTED = 1.0  # a first token not among the read alternatives: this far below the last listed

_WORD = re.compile(r"\w+|[^\w\s]")
_NAME = re.compile(r"[A-Za-z_]\w*")
# A line that binds a name: ``name = …`` or ``for name in …``.
_BINDING = re.compile(r"^\s*(?:for\s+)?([A-Za-z_]\w*)\s*(?:=(?!=)|in\b)")
# Names a Python line may use without the file defining them.
PYTHON_NAMES = frozenset(keyword.kwlist) | frozenset(dir(builtins))


@dataclass(frozen=True)
class EditCandidate:
    start: int  # the change, as offsets in the region's text
    end: int
    text: str  # what replaces region_text[start:end]
    kind: str  # "substitution" or "rewrite" (the model's), or a mutation kind (mutations.py)
    line: int  # the region line where the change starts
    errors: int  # syntax errors in the region with the change
    price: float
    first_gain: float  # an estimate from the reading alone
    short_gain: float | None = None  # measured from the change to the end of its line
    gain: float | None = None  # measured from its line to the end of the line after it
    bonus: float = 0.0  # what the request knows favours it (the problem's line)

    @property
    def measured(self) -> float:
        """The best measure of how much likelier the model finds the code with the change."""
        if self.gain is not None:
            return self.gain
        return self.short_gain if self.short_gain is not None else self.first_gain

    @property
    def score(self) -> float:
        return self.measured - self.price + self.bonus

    def apply(self, region_text: str) -> str:
        return region_text[:self.start] + self.text + region_text[self.end:]


def edit_price(old: str, new: str) -> float:
    """What an edit costs by its size: ``REMOVED_PRICE`` per word removed, ``ADDED_PRICE`` per
    word added."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    removed = added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return REMOVED_PRICE * removed + ADDED_PRICE * added


def best_candidate(candidates: Sequence[EditCandidate], errors_before: int, margin: float
                   ) -> EditCandidate | None:
    """The candidate to propose: the one that parses best, then the one with the best score;
    None unless it parses better than the original or its score beats ``margin`` (the code as
    it is scores 0). Candidates whose effect on the following code was measured compete among
    themselves."""
    # The candidates measured furthest compete among themselves (the others lost to them).
    pool = [c for c in candidates if c.gain is not None] \
        or [c for c in candidates if c.short_gain is not None] or list(candidates)
    if not pool:
        return None
    best = min(pool, key=lambda c: (c.errors, -c.score))
    if best.errors < errors_before or best.score > margin:
        return best
    return None


def first_token_gain(choices: Sequence[TokenChoice], read_text: str, start: int, end: int,
                     new: str) -> float:
    """An estimate of what replacing ``read_text[start:end]`` with ``new`` gains, from the
    reading alone: at the token where the change starts (or else where the changed text first
    differs from the read one), the log-probability of the alternative the changed text goes
    on with there, less the written token's; far below when the model listed none."""
    old = read_text[start:end]
    same = 0
    while same < min(len(old), len(new)) and old[same] == new[same]:
        same += 1
    if same == len(old) == len(new):
        return 0.0
    changed = read_text[:start] + new + read_text[end:]
    estimate: float | None = None
    for offset in (start, start + same):
        token = next((c for c in choices if c.start <= offset < c.start + max(1, len(c.text))),
                     None)
        if token is None:
            continue
        following = changed[token.start:token.start + 64]
        listed = [lp for alternative, lp in token.alternatives
                  if alternative != token.text and following.startswith(alternative)]
        if listed:
            return max(listed) - token.logprob
        if estimate is None:
            floor = min((lp for _, lp in token.alternatives), default=token.logprob - 8.0)
            estimate = min(floor, token.logprob) - UNLISTED - token.logprob
    return estimate if estimate is not None else -2 * UNLISTED


def keeps_names(lines: Sequence[str], line: int, old: str, new: str,
                known_names: set[str]) -> bool:
    """False for the edits a small model likes that break the code around them: a name the
    file has nowhere (a made-up rename, an attribute that does not exist), or a line that stops
    binding a name the rest of the region still uses."""
    old_names = set(_NAME.findall(old))
    if set(_NAME.findall(new)) - old_names - known_names:
        return False
    bound = _BINDING.match(old)
    if bound is None or bound.group(1) in _NAME.findall(new):
        return True
    others = "\n".join([*lines[:line], *lines[line + 1:]])
    return re.search(rf"\b{re.escape(bound.group(1))}\b", others) is None


def respaced_only(old: str, new: str) -> bool:
    return _WORD.findall(old) == _WORD.findall(new)


def file_names(text: str, language_id: str) -> set[str]:
    """Names a candidate may bring in: the file's own, and the language's."""
    return set(_NAME.findall(text)) | (PYTHON_NAMES if language_id == "python" else set())


def changeable(token: str) -> bool:
    """Tokens worth replacing: code, or the break that ends a line (an alternative there is
    inserted at the line's end); not indentation or breaks inside a token."""
    if token.startswith("\n"):
        return not token.strip()
    return bool(token.strip()) and "\n" not in token and "\ufffd" not in token


def insertable(alternative: str) -> bool:
    return bool(alternative.strip()) and "\n" not in alternative and "\ufffd" not in alternative


def key(line: str) -> str:
    return " ".join(line.split())
