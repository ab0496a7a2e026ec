"""The completion spine, free of LSP types:

    request → plan (is a suggestion wanted here? one line or a block?)
            → context (prefix/suffix windows within the token budget)
            → prompt (the model family's template, stable parts first)
            → generate (the warm engine, on the worker thread)
            → postprocess (trim, balance, cut at the block's end)

Everything here runs on the worker thread that owns the engine.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from dataclasses import dataclass

from . import postprocess
from .config import Settings
from .context import TokenCounter, cursor_line, cursor_window
from .engines.base import CancelToken, Engine, Generation, GenerationParams, Prompt
from .prompts import Template


@dataclass(frozen=True)
class CompletionRequest:
    uri: str
    text: str
    offset: int  # str index of the cursor in ``text``
    line_starts: Sequence[int]
    language_id: str = ""
    path: str = ""  # workspace-relative path, shown to the model
    invoked: bool = False  # explicitly asked for (not while typing)


@dataclass(frozen=True)
class CompletionResult:
    text: str  # to insert at the cursor; "" for no suggestion
    reason: str  # "ok", or why there is no suggestion
    generation: Generation | None = None
    prompt: Prompt | None = None  # what the engine was given, for `hearth.lastCompletion`
    context_ms: float = 0.0
    total_ms: float = 0.0


class CompletionPipeline:
    """Built once per loaded model; ``complete`` is called per request."""

    def __init__(self, engine: Engine, template: Template, settings: Settings) -> None:
        self.engine = engine
        self.template = template
        self.settings = settings
        self.counter = TokenCounter(engine.count_tokens)

    def complete(self, request: CompletionRequest, cancel: CancelToken) -> CompletionResult:
        start = time.monotonic()
        text, offset, starts = request.text, request.offset, request.line_starts
        line = cursor_line(text, offset, starts)
        prev_line, next_line = _neighbour_lines(text, offset, starts)
        plan = postprocess.plan(line.before, line.after, prev_line, next_line, request.invoked)
        if plan is None:
            return CompletionResult("", "mid-word", total_ms=_ms(start))

        budget = max(64, min(self.settings.prompt_tokens,
                             self.settings.context_size - self.settings.max_tokens - 16))
        suffix_budget = budget // 4 if self.template.fim else min(256, budget // 4)
        window = cursor_window(text, offset, starts, self.counter,
                               budget - suffix_budget, suffix_budget)
        prompt = self.template.render(
            context=_file_header(request), prefix=window.prefix,
            suffix=window.suffix if self.template.fim else "",
        )
        context_ms = _ms(start)

        params = GenerationParams(
            max_tokens=self.settings.max_tokens,
            stop=self.template.stop,
            stop_when=postprocess.stop_condition(plan, line.before),
            heal=not self.template.fim,
        )
        generation = self.engine.generate(prompt, params, cancel)
        if generation.stop_reason == "cancelled":
            return CompletionResult("", "cancelled", generation, prompt, context_ms, _ms(start))
        suggestion = postprocess.finish(generation.text, plan, window.prefix, window.suffix,
                                        line.eol)
        return CompletionResult(suggestion, "ok" if suggestion else "empty", generation, prompt,
                                context_ms, _ms(start))


def _file_header(request: CompletionRequest) -> str:
    """A first line naming the file, in the language's comment syntax (stable across keystrokes)."""
    if not request.path:
        return ""
    marker = _COMMENT.get(request.language_id, "#")
    return f"{marker} {request.path}\n"


_COMMENT = {
    "c": "//", "cpp": "//", "csharp": "//", "go": "//", "java": "//", "javascript": "//",
    "javascriptreact": "//", "typescript": "//", "typescriptreact": "//", "rust": "//",
    "kotlin": "//", "swift": "//", "php": "//", "scala": "//", "dart": "//", "lua": "--",
    "sql": "--", "haskell": "--",
}


def _neighbour_lines(text: str, offset: int, starts: Sequence[int]) -> tuple[str, str]:
    line = bisect.bisect_right(starts, offset) - 1

    def get(index: int) -> str:
        if not 0 <= index < len(starts):
            return ""
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        return text[starts[index]:end].rstrip("\r\n")

    return get(line - 1), get(line + 1)


def _ms(start: float) -> float:
    return (time.monotonic() - start) * 1000
