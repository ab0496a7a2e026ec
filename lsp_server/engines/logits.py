"""Reading rows of logits without keeping them.

A row is the whole vocabulary: 1 MB for Gemma's 262k tokens. Engines hand out a view of their
own output buffer, and only the few values a caller asks for leave it (a log-probability, the
likeliest tokens), so memory does not grow with the number of tokens scored.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Logits = npt.NDArray[np.float32]


class RowReader:
    """Log-probabilities from rows of logits, through one reusable scratch row (one thread)."""

    def __init__(self) -> None:
        self._scratch: npt.NDArray[np.float32] = np.empty(0, dtype=np.float32)

    def log_norm(self, logits: Logits) -> float:
        """log Σ exp(logits): subtracted from a logit, it gives the token's log-probability."""
        if self._scratch.shape != logits.shape:
            self._scratch = np.empty(logits.shape, dtype=np.float32)
        best = float(logits.max())
        np.subtract(logits, best, out=self._scratch)
        np.exp(self._scratch, out=self._scratch)
        return best + math.log(float(self._scratch.sum(dtype=np.float64)))

    def logprob(self, logits: Logits, token: int) -> float:
        return float(logits[token]) - self.log_norm(logits)

    def best(self, logits: Logits) -> tuple[int, float]:
        """The likeliest token and its log-probability."""
        token = int(np.argmax(logits))
        return token, float(logits[token]) - self.log_norm(logits)

    def top(self, logits: Logits, count: int, among: list[int] | None = None
            ) -> list[tuple[int, float]]:
        """The ``count`` likeliest tokens (of ``among``, when given) with their
        log-probabilities, likeliest first."""
        norm = self.log_norm(logits)
        if among is not None:
            pool = np.asarray(among, dtype=np.int64)
            chosen = pool[np.argsort(-logits[pool], kind="stable")[:count]]
        else:
            count = min(count, logits.size)
            part = np.argpartition(-logits, count - 1)[:count] if count < logits.size \
                else np.arange(logits.size)
            chosen = part[np.argsort(-logits[part], kind="stable")]
        return [(int(token), float(logits[token]) - norm) for token in chosen]

    def near(self, logits: Logits, token: int, nats: float, limit: int
             ) -> tuple[float, list[tuple[int, float]]]:
        """log P(token), and up to ``limit`` other tokens within ``nats`` of the likeliest one,
        likeliest first (a full sort of the vocabulary would be slow)."""
        norm = self.log_norm(logits)
        logprob = float(logits[token]) - norm
        if limit <= 0:
            return logprob, []
        best = float(logits.max())
        close = np.flatnonzero(logits >= best - nats)
        if close.size > limit:
            close = close[np.argpartition(-logits[close], limit - 1)[:limit]]
        ranked = sorted((int(t) for t in close if t != token), key=lambda t: -float(logits[t]))
        return logprob, [(t, float(logits[t]) - norm) for t in ranked]
