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
only where a log-probability is needed, and read where the engine keeps them (``engines.logits``):
only the values needed are kept.
"""

from __future__ import annotations

import codecs
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from .base import (
    CancelToken,
    Generation,
    GenerationParams,
    Prompt,
    TokenChoice,
    apply_stops,
)
from .local import Aborted, LocalEngine, common_prefix
from .logits import Logits, RowReader

# (sequence, first position, tokens, the indices of the tokens whose logits are read)
Row = tuple[int, int, Sequence[int], range]
T = TypeVar("T")
# Called with (row index, token index in the row, logits after that token); returns what the
# caller keeps of the row (the logits are gone after the call).
ReadRow = Callable[[int, int, Logits], T]
SCORE_ROWS = 32  # tokens read per batch by ``token_choices``
ALTERNATIVE_NATS = 8.0  # alternatives further below the likeliest token are not worth listing


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
    next_choices: list[tuple[int, float]] = field(default_factory=list)  # likeliest next tokens


class BranchingLocalEngine(LocalEngine):
    """A ``LocalEngine`` whose backend can hold several sequences in one KV cache."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._branches: dict[int, _Branch] = {}
        self._rows = RowReader()

    # -- primitives ---------------------------------------------------------------------------
    @abstractmethod
    def _branch_capacity(self) -> int:
        """How many sequences besides the main one (0: no branching)."""

    @abstractmethod
    def _branch_copy(self, seq: int, source: int, keep: int) -> None:
        """Make ``seq`` hold the first ``keep`` cached tokens of ``source`` (0 is the main one)
        and nothing else."""

    @abstractmethod
    def _branch_eval(self, rows: Sequence[Row], read: ReadRow[T]) -> list[list[T]]:
        """Evaluate each row's tokens into its sequence; for each token whose logits are
        wanted, in order, what ``read`` keeps of them (per row, a list)."""

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

                def read(_row: int, index: int, logits: Logits,
                         batch: list[int] = batch) -> tuple[float, list[tuple[int, float]]]:
                    return self._rows.near(logits, batch[index], ALTERNATIVE_NATS, 4 * top)

                read_rows = self._branch_eval([(1, len(base) - 1 + begin,
                                                feed[begin:begin + len(batch)],
                                                range(len(batch)))], read)[0]
                for (logprob, near), token in zip(read_rows, batch, strict=True):
                    piece = decoder.decode(self._token_bytes(token))
                    choices.append(TokenChoice(offset, piece, logprob,
                                               self._alternatives(near, top)))
                    offset += len(piece)
        except Aborted:
            return None
        finally:
            self._cancel = None
            self._branch_clear()
        return choices

    def _alternatives(self, near: list[tuple[int, float]], top: int
                      ) -> tuple[tuple[str, float], ...]:
        """The ``top`` likeliest of ``near`` (tokens with their log-probabilities) as text,
        leaving out end-of-generation tokens."""
        alternatives: list[tuple[str, float]] = []
        for other, logprob in near:
            if len(alternatives) >= top:
                break
            if self._is_end(other):
                continue
            alternatives.append((self._token_bytes(other).decode("utf-8", "replace"), logprob))
        return tuple(alternatives)

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
            rows.append((seq, origin, [base[-1], *forced], range(len(forced) + 1)))

        def read(row: int, index: int, logits: Logits) -> None:
            branch, allowed = roots[row]
            position = len(base) + index
            if position < len(branch.tokens):  # a forced token: how likely it was
                branch.logprobs[position] = self._rows.logprob(logits, branch.tokens[position])
            else:  # after the last one: where the branches fan out
                branch.next_choices = self._rows.top(logits, capacity, allowed)

        self._branch_eval(rows, read)
        return roots

    def _fan_out(self, roots: list[tuple[_Branch, list[int] | None]], widths: Sequence[int],
                 capacity: int) -> list[_Branch]:
        """Each root branches into its width of likeliest next tokens (as many as fit)."""
        branches: list[_Branch] = []
        free = len(roots) + 1
        for index, (root, _allowed) in enumerate(roots):
            room = capacity - len(branches) - (len(roots) - index - 1)
            count = max(1, min(widths[index], room))
            tokens, logprobs = list(root.tokens), list(root.logprobs)
            for rank, (token, logprob) in enumerate(root.next_choices[:count]):
                if rank == 0:
                    branch = root
                else:
                    branch = _Branch(free, list(tokens), list(logprobs), bytearray(root.raw),
                                     root.skip)
                    self._branch_copy(free, root.seq, len(tokens))
                    free += 1
                branch.tokens.append(token)
                branch.logprobs.append(logprob)
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
            rows: list[Row] = [(b.seq, len(b.tokens) - 1, [b.tokens[-1]], range(1))
                               for b in active]
            picked = self._branch_eval(rows, lambda _row, _index, logits:
                                       self._rows.best(logits))
            for b, [(token, logprob)] in zip(active, picked, strict=True):
                b.tokens.append(token)
                b.logprobs.append(logprob)

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
            # Fed from the last shared token; read after each but the text's last.
            rows.append((seq, shared - 1, wanted[index][shared - 1:],
                         range(len(wanted[index]) - shared)))

        def read(row: int, offset: int, logits: Logits) -> float:
            index, shared, _seq, _source = seats[row]
            return self._rows.logprob(logits, wanted[index][shared + offset])

        if rows:
            for (index, shared, _seq, source), read_row in zip(
                    seats, self._branch_eval(rows, read), strict=True):
                known = source.logprobs[origin:shared] if source is not None else []
                if any(lp is None for lp in known):
                    continue  # the branch lacks a value; this text cannot be compared fairly
                results[index] = sum(lp for lp in known if lp is not None) + sum(read_row)
        self._drop_branches()
        return results
