"""Several continuations of one prompt at once, and how likely a given continuation is.

For models without fill-in-the-middle the code after the cursor cannot go into the prompt; it
can still choose between candidates: the likeliest candidate *followed by the suffix's first
tokens* is the one that leads into the code that is already there. This module gives local
engines that capability (``engines.base.BranchingEngine``):

* ``explore``: greedy continuations of the prompt, each started with a forced text (an
  indentation, ``name =``) and/or one of the most likely next tokens, decoded in lockstep as
  parallel sequences that share the prompt's KV cache;
* ``logprobs``: log P(text | prompt) for texts that mostly extend explored branches, so only
  their new tokens (a suffix probe) are evaluated;
* ``token_choices``: a text read token by token, with what the model expected at each token
  (``engines.base.TokenScoringEngine``, for quick fixes).

Logits are the expensive part with a large vocabulary (Gemma's 262k tokens); they are asked for
only where a log-probability is needed.
"""

from __future__ import annotations

import codecs
import time
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .base import (
    CancelToken,
    Generation,
    GenerationParams,
    Prompt,
    TokenChoice,
    apply_stops,
)
from .local import Aborted, LocalEngine, common_prefix

Row = tuple[int, int, Sequence[int], bool]  # (sequence, first position, tokens, all logits)
SCORE_ROWS = 32  # tokens read per batch by ``token_choices`` (a row of logits is 1 MB for Gemma)
ALTERNATIVE_NATS = 8.0  # alternatives further below the likeliest token are not worth listing


def token_logprob(logits: npt.NDArray[np.float32], token: int) -> float:
    """log P(token) from one row of logits, without a copy of the row kept."""
    best = float(logits.max())
    norm = best + float(np.log(np.exp(logits - best, dtype=np.float32).sum(dtype=np.float64)))
    return float(logits[token]) - norm


def log_softmax(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    values: npt.NDArray[np.float64] = logits.astype(np.float64)
    top = float(values.max())
    return values - (top + float(np.log(np.exp(values - top).sum())))


@dataclass
class _Branch:
    seq: int
    tokens: list[int]  # the whole sequence, prompt included
    logprobs: list[float | None]  # per position: log P(token | everything before it)
    raw: bytearray = field(default_factory=bytearray)  # bytes after the prompt (forced + new)
    skip: int = 0  # characters of ``raw`` that belong to the prompt (the healed token)
    text: str = ""  # the continuation, as in a Generation
    reason: str = ""  # stop reason once finished
    generated: int = 0
    next_scores: npt.NDArray[np.float64] | None = None  # log-probabilities of the next token


class BranchingLocalEngine(LocalEngine):
    """A ``LocalEngine`` whose backend can hold several sequences in one KV cache."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._branches: dict[int, _Branch] = {}

    # -- primitives ---------------------------------------------------------------------------
    @abstractmethod
    def _branch_capacity(self) -> int:
        """How many sequences besides the main one (0: no branching)."""

    @abstractmethod
    def _branch_copy(self, seq: int, source: int, keep: int) -> None:
        """Make ``seq`` hold the first ``keep`` cached tokens of ``source`` (0 is the main one)
        and nothing else."""

    @abstractmethod
    def _branch_eval(self, rows: Sequence[Row]) -> list[npt.NDArray[np.float32]]:
        """Evaluate each row's tokens into its sequence; per row, the logits after each token
        (``all logits``) or after its last token only, as a 2-D array."""

    @abstractmethod
    def _branch_clear(self) -> None:
        """Drop every sequence but the main one."""

    # -- protocol -----------------------------------------------------------------------------
    def generate(self, prompt: Prompt, params: GenerationParams, cancel: CancelToken) -> Generation:
        self._drop_branches()
        return super().generate(prompt, params, cancel)

    def explore(self, prompt: Prompt, params: GenerationParams, starts: Sequence[str],
                width: int | Sequence[int], cancel: CancelToken) -> list[Generation]:
        """For each forced ``start`` and each of the ``width`` likeliest tokens after it (one
        width for all, or one per start), a greedy continuation (texts begin with their
        start). A branch the deadline or a cancel stopped keeps what it wrote (its stop reason
        says so); one that wrote nothing is left out."""
        began = time.monotonic()
        self._drop_branches()
        capacity = self._branch_capacity()
        widths = [width] * len(starts) if isinstance(width, int) else list(width)
        if capacity <= 0 or not starts or max(widths, default=0) <= 0:
            return []
        base, removed = self._base(prompt, params.heal)
        if len(base) + params.max_tokens + 8 >= self.context_size:
            return []
        self._cancel = cancel
        branches: list[_Branch] = []
        try:
            self._prefill_main(base)
            roots = self._roots(base, removed, starts, params.heal, capacity)
            branches = self._fan_out(roots, widths, capacity)
            self._lockstep(branches, params, cancel)
        except Aborted:
            for b in branches:
                b.reason = b.reason or cancel.reason()
        finally:
            self._cancel = None
        elapsed = (time.monotonic() - began) * 1000
        return [Generation(b.text, b.reason, prompt_tokens=len(base),  # type: ignore[arg-type]
                           generated_tokens=b.generated, total_ms=elapsed,
                           logprob=sum(lp or 0.0 for lp in b.logprobs[len(base):]))
                for b in branches if b.reason in ("eos", "stop", "length") or b.text]

    def logprobs(self, prompt: Prompt, texts: Sequence[str], heal: bool,
                 cancel: CancelToken) -> list[float | None]:
        """log P(text | prompt) for each text (measured from the prompt's healed end, so the
        values compare with each other). None where it could not be computed in time."""
        if self._branch_capacity() <= 0:
            return [None] * len(texts)
        base, removed = self._base(prompt, heal)
        wanted = [base + self._tokenize_part(removed + text) for text in texts]
        self._cancel = cancel
        try:
            self._prefill_main(base)
            return self._score(base, wanted)
        except Aborted:
            return [None] * len(texts)
        finally:
            self._cancel = None

    def token_choices(self, prompt: Prompt, text: str, top: int,
                      cancel: CancelToken) -> list[TokenChoice] | None:
        """Every token of ``text`` after ``prompt``: its log-probability and the ``top``
        likeliest tokens in its place (``engines.base.TokenScoringEngine``). One pass in a
        branch, a few rows of logits at a time (each row is the whole vocabulary)."""
        if self._branch_capacity() <= 0 or not text:
            return None
        base = self._tokenize(prompt)
        tokens = self._tokenize_part(text)
        if len(base) + len(tokens) + 1 >= self.context_size:
            return None
        self._drop_branches()
        self._cancel = cancel
        feed = [base[-1], *tokens]
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        choices: list[TokenChoice] = []
        offset = 0
        try:
            self._prefill_main(base)
            self._branch_copy(1, 0, len(base) - 1)
            for begin in range(0, len(tokens), SCORE_ROWS):
                batch = tokens[begin:begin + SCORE_ROWS]  # fed: the token before each one
                rows = self._branch_eval([(1, len(base) - 1 + begin,
                                           feed[begin:begin + len(batch)], True)])[0]
                for row, token in zip(rows, batch, strict=True):
                    piece = decoder.decode(self._token_bytes(token))
                    logprob, alternatives = self._read_row(row, token, top)
                    choices.append(TokenChoice(offset, piece, logprob, alternatives))
                    offset += len(piece)
        except Aborted:
            return None
        finally:
            self._cancel = None
            self._branch_clear()
        return choices

    def _read_row(self, logits: npt.NDArray[np.float32], token: int, top: int
                  ) -> tuple[float, tuple[tuple[str, float], ...]]:
        """log P(token) from one row of logits, and the ``top`` likeliest other tokens (only
        those within ``ALTERNATIVE_NATS`` of the best: a full sort of the vocabulary is slow)."""
        logprob = token_logprob(logits, token)
        norm = float(logits[token]) - logprob
        best = float(logits.max())
        near = np.flatnonzero(logits >= best - ALTERNATIVE_NATS) if top > 0 else np.empty(0)
        if near.size > 4 * top:  # a flat distribution: the likeliest few of those
            near = near[np.argpartition(-logits[near], 4 * top)[:4 * top]]
        ranked = sorted((int(t) for t in near if t != token), key=lambda t: -float(logits[t]))
        alternatives: list[tuple[str, float]] = []
        for other in ranked:
            if len(alternatives) >= top:
                break
            if self._is_end(other):
                continue
            piece = self._token_bytes(other).decode("utf-8", "replace")
            alternatives.append((piece, float(logits[other]) - norm))
        return logprob, tuple(alternatives)

    # -- internals ----------------------------------------------------------------------------
    def _drop_branches(self) -> None:
        if self._branches:
            self._branch_clear()
            self._branches.clear()

    def _tokenize_part(self, text: str) -> list[int]:
        return self._tokenize(Prompt.plain(text))[1:] if text else []  # without BOS

    def _base(self, prompt: Prompt, heal: bool) -> tuple[list[int], str]:
        """The prompt's tokens up to where continuations start, and the prompt text after that
        point (the token healing backs over)."""
        tokens = self._tokenize(prompt)
        healed = self._heal(tokens) if heal else None
        if healed is None:
            return tokens, ""
        return tokens[:-1], healed[0]

    def _prefill_main(self, base: list[int]) -> None:
        """The main sequence caches ``base`` but its last token (branches evaluate that one,
        for the logits after it)."""
        keep = common_prefix(self._cached_tokens(), base)
        keep = self._truncate_cache(min(keep, len(base) - 1))
        self._evaluate(base[keep:len(base) - 1])

    def _roots(self, base: list[int], removed: str, starts: Sequence[str], heal: bool,
               capacity: int) -> list[tuple[_Branch, list[int] | None]]:
        """One sequence per start, evaluated up to where generation begins; with the tokens
        the first generated one may be (healing), or None for any."""
        roots: list[tuple[_Branch, list[int] | None]] = []
        rows: list[Row] = []
        origin = len(base) - 1
        for start in starts[:capacity]:
            forced = self._tokenize_part(removed + start)
            allowed: list[int] | None = None
            if heal and forced:
                healed = self._heal([0, *forced])  # a stand-in BOS keeps the helper's length check
                if healed is not None:
                    forced, allowed = forced[:-1], healed[1]
            seq = len(roots) + 1
            self._branch_copy(seq, 0, origin)
            unknown: list[float | None] = [None] * (len(base) + len(forced))
            branch = _Branch(seq, list(base) + forced, unknown)
            branch.raw += b"".join(self._token_bytes(t) for t in forced)
            branch.skip = len(removed)
            roots.append((branch, allowed))
            rows.append((seq, origin, [base[-1], *forced], True))
        for (branch, _), logits in zip(roots, self._branch_eval(rows), strict=True):
            for offset, token in enumerate(branch.tokens[len(base):]):
                branch.logprobs[len(base) + offset] = token_logprob(logits[offset], token)
            branch.next_scores = log_softmax(logits[-1])
        return roots

    def _fan_out(self, roots: list[tuple[_Branch, list[int] | None]], widths: Sequence[int],
                 capacity: int) -> list[_Branch]:
        """Each root branches into its width of likeliest next tokens (as many as fit)."""
        branches: list[_Branch] = []
        free = len(roots) + 1
        for index, (root, allowed) in enumerate(roots):
            scores = root.next_scores
            assert scores is not None
            room = capacity - len(branches) - (len(roots) - index - 1)
            count = max(1, min(widths[index], room))
            if allowed is not None:
                pool = np.asarray(allowed)
                order = pool[np.argsort(-scores[pool])][:count]
            else:
                top = np.argpartition(-scores, count)[:count]
                order = top[np.argsort(-scores[top])]
            tokens, logprobs = list(root.tokens), list(root.logprobs)
            for rank, token in enumerate(order):
                if rank == 0:
                    branch = root
                else:
                    branch = _Branch(free, list(tokens), list(logprobs), bytearray(root.raw),
                                     root.skip)
                    self._branch_copy(free, root.seq, len(tokens))
                    free += 1
                branch.tokens.append(int(token))
                branch.logprobs.append(float(scores[int(token)]))
                branches.append(branch)
        return branches

    def _lockstep(self, branches: list[_Branch], params: GenerationParams,
                  cancel: CancelToken) -> None:
        decoders = {b.seq: codecs.getincrementaldecoder("utf-8")(errors="replace")
                    for b in branches}
        prefix_text = {b.seq: decoders[b.seq].decode(bytes(b.raw)) for b in branches}
        active = list(branches)
        for b in branches:
            self._branches[b.seq] = b
        for step in range(params.max_tokens):
            still: list[_Branch] = []
            for b in active:
                token = b.tokens[-1]
                if self._is_end(token):
                    b.tokens.pop()
                    b.logprobs.pop()
                    b.reason = "eos"
                    continue
                before = len(b.text)
                prefix_text[b.seq] += decoders[b.seq].decode(self._token_bytes(token))
                b.generated += 1
                b.text = prefix_text[b.seq][b.skip:]
                b.text, stop = apply_stops(b.text, before, params)
                if stop:
                    b.reason = "stop"
                elif step + 1 >= params.max_tokens:
                    b.reason = "length"
                else:
                    still.append(b)
            active = still
            if not active:
                return
            if cancel.should_stop():
                for b in active:
                    b.reason = cancel.reason()
                return
            rows: list[Row] = [(b.seq, len(b.tokens) - 1, [b.tokens[-1]], False) for b in active]
            for b, logits in zip(active, self._branch_eval(rows), strict=True):
                row = logits[-1]
                token = int(np.argmax(row))  # greedy: no need to normalise the whole row
                b.tokens.append(token)
                b.logprobs.append(token_logprob(row, token))

    def _score(self, base: list[int], wanted: list[list[int]]) -> list[float | None]:
        """Sum of log-probabilities from ``len(base)`` on, reusing explored branches: a text
        that extends a branch costs only its new tokens."""
        origin = len(base)
        results: list[float | None] = [None] * len(wanted)
        # Which branch each text shares most with (None: only the prompt, in the main sequence).
        plans: list[tuple[int, int, _Branch | None]] = []
        for index, tokens in enumerate(wanted):
            best: _Branch | None = None
            shared = origin
            for b in self._branches.values():
                n = common_prefix(b.tokens, tokens)
                if n > shared:
                    best, shared = b, n
            plans.append((index, shared, best))
        # Texts get a sequence each: the first one to claim a branch takes it over, the others
        # copy it (all copies before any truncation, which would destroy what they copy).
        sources = {source.seq for _, _, source in plans if source is not None}
        for seq in [s for s in self._branches if s not in sources]:
            del self._branches[seq]  # no text continues it: its sequence is free again
        spare = [s for s in range(1, self._branch_capacity() + 1) if s not in self._branches]
        owners: set[int] = set()
        seats: list[tuple[int, int, int, _Branch | None]] = []  # (text, shared, seq, source)
        for index, shared, source in plans:
            if source is not None and source.seq not in owners:
                owners.add(source.seq)
                seats.append((index, shared, source.seq, source))
            elif spare:
                seq = spare.pop()
                self._branch_copy(seq, source.seq if source is not None else 0, shared - 1)
                seats.append((index, shared, seq, source))
        rows: list[Row] = []
        for index, shared, seq, source in seats:
            if source is not None and seq == source.seq:
                self._branch_copy(seq, seq, shared - 1)
            rows.append((seq, shared - 1, wanted[index][shared - 1:], True))
        if rows:
            for (index, shared, _seq, source), logits in zip(seats, self._branch_eval(rows),
                                                             strict=True):
                known = source.logprobs[origin:shared] if source is not None else []
                if any(lp is None for lp in known):
                    continue  # the branch lacks a value; this text cannot be compared fairly
                total = sum(lp for lp in known if lp is not None)
                for offset, token in enumerate(wanted[index][shared:]):
                    total += token_logprob(logits[offset], token)
                results[index] = total
        self._drop_branches()
        return results
