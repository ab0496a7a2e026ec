"""The generation loop shared by engines that run a model in this process.

Subclasses provide five primitives (tokenize, evaluate, logits, token bytes, end-of-generation);
this class owns what must be identical across them: prefix reuse of the KV cache, greedy
decoding, token healing, stop sequences, incremental UTF-8 decoding and cancellation.
"""

from __future__ import annotations

import bisect
import codecs
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .. import faults
from .base import (
    CancelToken,
    Generation,
    GenerationParams,
    ModelInfo,
    Prompt,
    apply_stops,
)


class Aborted(Exception):
    """Raised by ``_evaluate`` when the cancel token fired during evaluation."""


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    if n == 0:
        return 0
    diff = np.nonzero(np.asarray(a[:n]) != np.asarray(b[:n]))[0]
    return int(diff[0]) if len(diff) else n


class LocalEngine(ABC):
    def __init__(self, info: ModelInfo, context_size: int) -> None:
        self._info = info
        self.context_size = context_size
        self._cancel: CancelToken | None = None  # read by the abort hook during evaluation
        self._sorted_pieces: list[str] | None = None
        self._sorted_ids: list[int] = []

    # -- primitives -------------------------------------------------------------------------
    @abstractmethod
    def _tokenize(self, prompt: Prompt) -> list[int]: ...

    @abstractmethod
    def _cached_tokens(self) -> Sequence[int]:
        """Tokens whose keys and values are in the cache, in order."""

    @abstractmethod
    def _truncate_cache(self, keep: int) -> int:
        """Drop cached tokens after ``keep``; return how many are kept (0 if it must reset)."""

    @abstractmethod
    def _evaluate(self, tokens: Sequence[int]) -> None:
        """Append ``tokens`` to the cache; raise ``Aborted`` if ``self._cancel`` fired."""

    @abstractmethod
    def _logits(self) -> npt.NDArray[np.float32]:
        """Logits after the last evaluated token."""

    @abstractmethod
    def _token_bytes(self, token: int) -> bytes: ...

    @abstractmethod
    def _is_end(self, token: int) -> bool: ...

    @abstractmethod
    def _vocab_size(self) -> int: ...

    # -- protocol ---------------------------------------------------------------------------
    @property
    def info(self) -> ModelInfo:
        return self._info

    def count_tokens(self, text: str) -> int:
        return len(self._tokenize(Prompt.plain(text))) - 1  # without BOS

    def generate(self, prompt: Prompt, params: GenerationParams, cancel: CancelToken) -> Generation:
        start = time.monotonic()
        tokens = self._tokenize(prompt)
        healed = self._heal(tokens) if params.heal else None
        if healed is not None:
            tokens = tokens[:-1]
        room = self.context_size - len(tokens)
        if room <= 0:
            return Generation("", "context", prompt_tokens=len(tokens))
        max_tokens = min(params.max_tokens, room)

        reused = common_prefix(self._cached_tokens(), tokens)
        reused = self._truncate_cache(min(reused, len(tokens) - 1))
        self._cancel = cancel
        try:
            return self._decode(tokens, reused, healed, params, max_tokens, cancel, start)
        finally:
            self._cancel = None

    def _decode(
        self, tokens: list[int], reused: int, healed: tuple[str, list[int]] | None,
        params: GenerationParams, max_tokens: int, cancel: CancelToken, start: float,
    ) -> Generation:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        text = ""
        generated = 0
        first_ms = 0.0
        reason: str = "length"
        try:
            self._evaluate(tokens[reused:])
            for step in range(max_tokens):
                if cancel.should_stop():
                    reason = cancel.reason()
                    break
                logits = self._logits()
                if step == 0 and healed is not None:
                    token = healed[1][int(np.argmax(logits[healed[1]]))]
                else:
                    token = int(np.argmax(logits))
                if step == 0:
                    first_ms = (time.monotonic() - start) * 1000
                if self._is_end(token):
                    reason = "eos"
                    break
                before = len(text)
                text += decoder.decode(self._token_bytes(token))
                generated += 1
                faults.maybe_raise("engine.token")
                if step == 0 and healed is not None:
                    text = text[len(healed[0]):]
                    before = 0
                text, stop = apply_stops(text, before, params)
                if stop:
                    reason = "stop"
                    break
                if step + 1 < max_tokens:
                    self._evaluate([token])
        except Aborted:
            reason = cancel.reason()
        return Generation(
            text=text,
            stop_reason=reason,  # type: ignore[arg-type]
            prompt_tokens=len(tokens),
            reused_tokens=reused,
            generated_tokens=generated,
            first_token_ms=first_ms,
            total_ms=(time.monotonic() - start) * 1000,
        )

    # -- token healing ----------------------------------------------------------------------
    def _heal(self, tokens: list[int]) -> tuple[str, list[int]] | None:
        """The prompt's last token text and the tokens that may replace it, or None."""
        if len(tokens) < 2 or self._is_end(tokens[-1]):
            return None
        try:
            removed = self._token_bytes(tokens[-1]).decode("utf-8")
        except UnicodeDecodeError:
            return None
        if not removed:
            return None
        pieces, ids = self._pieces()
        lo = bisect.bisect_left(pieces, removed)
        hi = bisect.bisect_left(pieces, removed + "\U0010ffff")
        allowed = ids[lo:hi]
        return (removed, allowed) if allowed else None

    def _pieces(self) -> tuple[list[str], list[int]]:
        """Every token's text, sorted, so the tokens starting with a string form one slice."""
        if self._sorted_pieces is None:
            table: list[tuple[str, int]] = []
            for token in range(self._vocab_size()):
                if self._is_end(token):
                    continue
                try:
                    piece = self._token_bytes(token).decode("utf-8")
                except UnicodeDecodeError:
                    continue
                if piece:
                    table.append((piece, token))
            table.sort()
            self._sorted_pieces = [piece for piece, _ in table]
            self._sorted_ids = [token for _, token in table]
        return self._sorted_pieces, self._sorted_ids

    def prepare(self) -> None:
        """Build lookup tables ahead of the first request (called during warm-up)."""
        self._pieces()
