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
from ..heap import release_freed_memory
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
        self._pieces: SortedPieces | None = None

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
        allowed = self._sorted_pieces().starting_with(removed.encode("utf-8"))
        return (removed, allowed) if allowed else None

    def _sorted_pieces(self) -> SortedPieces:
        if self._pieces is None:
            size = self._vocab_size()
            pieces: list[bytes] = []
            ids = np.empty(size, dtype=np.int32)
            for token in range(size):
                if self._is_end(token):
                    continue
                piece = self._token_bytes(token)
                try:
                    piece.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                if piece:
                    ids[len(pieces)] = token
                    pieces.append(piece)
            self._pieces = SortedPieces(pieces, ids[:len(pieces)])
        return self._pieces

    def close(self) -> None:
        """Drop the lookup tables (subclasses free the model and call this)."""
        self._pieces = None
        self._cancel = None

    def prepare(self) -> None:
        """Build lookup tables ahead of the first request (called during warm-up)."""
        self._sorted_pieces()
        release_freed_memory()  # what building them left behind (11 MB for Gemma)


class SortedPieces:
    """Every token's text (UTF-8), sorted, so the tokens whose text starts with a given string
    form one slice. Packed in one bytes object with numpy offsets: as a list of Python strings
    the table for a 262k-token vocabulary would take about 45 MB."""

    def __init__(self, pieces: list[bytes], ids: npt.NDArray[np.int32]) -> None:
        table = np.empty(len(pieces), dtype=object)
        table[:] = pieces
        order = np.argsort(table, kind="stable")  # UTF-8 sorts as code points do
        lengths = np.fromiter((len(piece) for piece in pieces), dtype=np.int64,
                              count=len(pieces))[order]
        self._starts = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(lengths)))
        blob = bytearray(int(self._starts[-1]))  # (bytes.join would hold 80 bytes per piece)
        for index, start, end in zip(order, self._starts[:-1], self._starts[1:], strict=True):
            blob[start:end] = pieces[index]
        self._blob = bytes(blob)
        self._ids = ids[order]

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: int) -> bytes:
        return self._blob[self._starts[index]:self._starts[index + 1]]

    def starting_with(self, prefix: bytes) -> list[int]:
        """The tokens whose text starts with ``prefix`` (0xFF never occurs in UTF-8)."""
        lo = bisect.bisect_left(self, prefix)
        hi = bisect.bisect_left(self, prefix + b"\xff", lo)
        return [int(token) for token in self._ids[lo:hi]]
