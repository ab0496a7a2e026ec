"""The one protocol every inference engine implements, and the small types it speaks.

Engines are used from a single worker thread (see ``worker.py``); they need not be thread-safe,
except for ``CancelToken`` which is set from other threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

StopReason = Literal["eos", "stop", "length", "deadline", "cancelled", "context"]


class EngineError(RuntimeError):
    """An engine could not load or run; the message is meant for the user."""


class EngineUnavailable(EngineError):
    """The engine's backend (an inference server) cannot be reached now; later may work."""


class CancelToken:
    """Set from any thread; polled by the engine between tokens and during prompt evaluation."""

    def __init__(self, deadline: float | None = None) -> None:
        self._event = threading.Event()
        self.deadline = deadline  # a time.monotonic() value after which generation stops
        self.cancelled_at: float | None = None

    def cancel(self) -> None:
        if not self._event.is_set():
            self.cancelled_at = time.monotonic()
            self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def should_stop(self) -> bool:
        return self._event.is_set() or (
            self.deadline is not None and time.monotonic() >= self.deadline
        )

    def reason(self) -> StopReason:
        return "cancelled" if self._event.is_set() else "deadline"

    def wait(self, timeout: float | None) -> bool:
        """Block until cancelled or ``timeout`` seconds pass; True if cancelled."""
        return self._event.wait(timeout)

    def with_deadline(self, deadline: float) -> CancelToken:
        """A token that stops at ``deadline`` (or this one's, if earlier) and shares this one's
        cancel flag."""
        child = CancelToken(deadline if self.deadline is None else min(deadline, self.deadline))
        child._event = self._event
        return child


@dataclass(frozen=True)
class Prompt:
    """Prompt text in parts; ``markup`` parts are template tokens (FIM markers, chat turns) and
    are the only text an engine may parse as special tokens, so code in a document can never
    smuggle control tokens into the prompt."""

    parts: tuple[tuple[str, bool], ...]  # (text, is_markup)
    # The document text each template placeholder was filled with ("prefix", "suffix", ...), for
    # engines whose server builds the prompt itself (llama.cpp's /infill).
    fields: tuple[tuple[str, str], ...] = ()
    # Other files of the project as (path, text), for servers that lay out repository-level
    # context themselves (/infill's ``input_extra``).
    files: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def plain(text: str) -> Prompt:
        return Prompt(((text, False),))

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)

    def field(self, name: str) -> str | None:
        """The text of placeholder ``name``, or None if the template has no such placeholder."""
        return next((value for key, value in self.fields if key == name), None)


@dataclass(frozen=True)
class ModelInfo:
    """What the server knows about a loaded model, read from its file and metadata."""

    path: str
    engine: str
    architecture: str = ""
    name: str = ""
    context_length: int = 0  # the model's training context
    file_size: int = 0
    quantization: str = ""
    chat_template: str = ""
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int = 64
    stop: tuple[str, ...] = ()
    # Called with the text so far after each token; True ends the generation (reason "stop").
    stop_when: Callable[[str], bool] | None = None
    # Back up over the prompt's last token and make the first generated token start with its
    # text: a prompt cut inside a token ("return ", half a word) otherwise derails small models.
    heal: bool = False


@dataclass(frozen=True)
class Generation:
    text: str
    stop_reason: StopReason
    prompt_tokens: int = 0
    reused_tokens: int = 0  # prompt tokens served from the KV cache of the previous call
    generated_tokens: int = 0
    first_token_ms: float = 0.0  # prompt evaluation + first token
    total_ms: float = 0.0
    # log P(every generated token | prompt), when the engine measured it (``explore``); the
    # token that hit a stop sequence counts, though the text is cut before the stop.
    logprob: float | None = None


@runtime_checkable
class Engine(Protocol):
    """A loaded model. ``generate`` stops within one token of ``cancel.should_stop()``."""

    @property
    def info(self) -> ModelInfo: ...

    def count_tokens(self, text: str) -> int: ...

    def is_special_token(self, text: str) -> bool:
        """Whether ``text`` is one control token of this model's vocabulary (e.g. a FIM marker)."""
        ...

    def generate(self, prompt: Prompt, params: GenerationParams, cancel: CancelToken) -> Generation:
        ...

    def close(self) -> None: ...


@runtime_checkable
class BranchingEngine(Protocol):
    """Optional (checked with ``isinstance``): continue a prompt several ways at once, and say
    how likely a continuation is. The pipeline uses it to rank candidates by how well they lead
    into the code after the cursor; engines without it (an inference server) get one greedy
    generation, unranked."""

    def explore(self, prompt: Prompt, params: GenerationParams, starts: Sequence[str],
                width: int | Sequence[int], cancel: CancelToken) -> list[Generation]:
        """Greedy continuations of ``prompt + start`` for each start, each branching into the
        ``width`` likeliest next tokens (one width, or one per start); texts begin with their
        start."""
        ...

    def logprobs(self, prompt: Prompt, texts: Sequence[str], heal: bool,
                 cancel: CancelToken) -> list[float | None]:
        """log P(text | prompt) for each text, comparable with each other (None: unknown)."""
        ...


@dataclass(frozen=True)
class TokenChoice:
    """One token of a scored text: how likely the model found it, and what it expected."""

    start: int  # where the token's text begins in the scored text (str index)
    text: str
    logprob: float  # log P(token | prompt and the text before it)
    alternatives: tuple[tuple[str, float], ...]  # other likely tokens here, likeliest first


@runtime_checkable
class TokenScoringEngine(Protocol):
    """Optional (checked with ``isinstance``): read a text token by token in one pass. Quick
    fixes with base models use it to find the tokens the model finds surprising and what it
    would have written instead."""

    def token_choices(self, prompt: Prompt, text: str, top: int,
                      cancel: CancelToken) -> list[TokenChoice] | None:
        """Every token of ``text`` after ``prompt``, each with up to ``top`` alternatives
        (None when cancelled or unsupported)."""
        ...


def find_stop(text: str, stops: Sequence[str], start: int = 0) -> int:
    """Index of the earliest stop sequence in ``text`` beginning at or after ``start``, or -1."""
    best = -1
    for stop in stops:
        if stop:
            idx = text.find(stop, start)
            if idx >= 0 and (best < 0 or idx < best):
                best = idx
    return best


def apply_stops(text: str, grew_at: int, params: GenerationParams) -> tuple[str, bool]:
    """After the text grew at index ``grew_at``: the text cut at a stop sequence the new piece
    completed, and whether generation should end (a stop sequence or ``stop_when``)."""
    longest = max((len(s) for s in params.stop), default=0)
    cut = find_stop(text, params.stop, max(0, grew_at - longest))
    if cut >= 0:
        return text[:cut], True
    return text, params.stop_when is not None and params.stop_when(text)
