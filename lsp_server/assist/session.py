"""A generation that can stop between tokens and resume later from its own text: how a long
fix or explanation gives way to completions without losing its work."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..engines.base import CancelToken, Generation, GenerationParams, Prompt, find_stop
from ..instructions import Rendered
from .requests import ProgressCallback

if TYPE_CHECKING:
    from .assistant import Assistant


@dataclass
class _Progress:
    text: str = ""  # generated so far, across steps
    tokens: int = 0
    prompt_tokens: int = 0
    first_token_ms: float = 0.0
    stop_reason: str = ""
    steps: int = 0
    started: float = field(default_factory=time.monotonic)


class Session:
    """A generation that can stop between tokens and resume later from its own text."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.engine = assistant.engine
        self.rendered: Rendered | None = None
        self.max_tokens = 0
        self.state = _Progress()
        self.on_progress: ProgressCallback | None = None
        self.early_result: str | None = None  # a reason to finish without generating

    # -- subclass hooks ---------------------------------------------------------------------
    def prepare(self) -> None:
        """Build ``self.rendered`` and ``self.max_tokens`` (worker thread: may tokenize)."""
        raise NotImplementedError

    def complete(self, text: str) -> bool:
        """Whether the answer so far is finished."""
        raise NotImplementedError

    # -- driving ----------------------------------------------------------------------------
    def advance(self, cancel: CancelToken, should_yield: Callable[[], bool] = lambda: False
                ) -> bool:
        """Generate until done (True) or until ``should_yield()`` (False: call again)."""
        state = self.state
        if self.rendered is None:
            self.prepare()
            if self.early_result is not None or self.rendered is None:
                state.stop_reason = self.early_result or "empty"
                return True
        rendered = self.rendered
        prompt = rendered.prompt
        if state.text:
            prompt = Prompt((*prompt.parts, (state.text, False)), prompt.fields)
        stops = rendered.stop
        longest = max((len(s) for s in stops), default=0)
        yielded = False
        done_before = state.text
        boundary = done_before[-longest:] if longest else ""
        seen = 0  # characters of this step already looked at
        calls = 0  # tokens generated in this step
        last_report = 0.0

        def stop_when(new: str) -> bool:
            nonlocal yielded, seen, calls, last_report
            calls += 1
            fresh, seen = new[seen:], len(new)
            if boundary and len(new) <= 2 * longest and find_stop(boundary + new, stops) >= 0:
                return True  # a stop sequence spanning two steps
            # Answers are judged by whole lines: only a new line break can finish one.
            if "\n" in fresh and self.complete(done_before + new):
                return True
            if should_yield():
                yielded = True
                return True
            now = time.monotonic()
            if self.on_progress is not None and now - last_report > 0.25:
                last_report = now
                self.on_progress(state.tokens + calls, done_before + new)
            return False

        remaining = self.max_tokens - state.tokens
        if remaining <= 0:
            state.stop_reason = "length"
            return True
        generation = self.engine.generate(
            prompt, GenerationParams(max_tokens=remaining, stop=stops, stop_when=stop_when),
            cancel)
        state.steps += 1
        if state.steps == 1:
            state.prompt_tokens = generation.prompt_tokens
            state.first_token_ms = generation.first_token_ms
        state.tokens += generation.generated_tokens
        state.text = done_before + generation.text
        cut = find_stop(state.text, stops, max(0, len(done_before) - longest)) if stops else -1
        if cut >= 0:
            state.text = state.text[:cut]
        if yielded and generation.stop_reason == "stop" and cut < 0 \
                and not self.complete(state.text):
            return False
        state.stop_reason = generation.stop_reason
        return True

    def generation(self) -> Generation | None:
        state = self.state
        if state.steps == 0:
            return None
        return Generation(
            text=state.text, stop_reason=state.stop_reason,  # type: ignore[arg-type]
            prompt_tokens=state.prompt_tokens, generated_tokens=state.tokens,
            first_token_ms=state.first_token_ms,
            total_ms=(time.monotonic() - state.started) * 1000)

    def _room(self, prompt: Prompt, wanted: int) -> int:
        """Tokens left for the answer in the engine's context after ``prompt``."""
        context = min(self.assistant.settings.context_size,
                      self.engine.info.context_length or self.assistant.settings.context_size)
        used = self.engine.count_tokens(prompt.text) + 8
        return min(wanted, context - used)
