"""What a fix or an explanation is asked for and what it gives back (no LSP types: offsets
are str indices in the document's text)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..engines.base import Generation
from ..regions import Region, Replacement


@dataclass(frozen=True)
class Problem:
    """A diagnostic (from any server) or another hint of what is wrong."""

    message: str
    start: int  # str offsets in the document
    end: int
    source: str = ""


@dataclass(frozen=True)
class FixRequest:
    text: str
    start: int  # the range asked about (cursor, selection or a diagnostic's range)
    end: int
    language_id: str = ""
    path: str = ""
    problems: tuple[Problem, ...] = ()
    region: Region | None = None  # the region announced to the editor; computed if None


FixReason = Literal["ok", "unchanged", "syntax", "incomplete", "empty", "unrelated",
                    "cancelled", "deadline", "too-long", "context", "risky"]


@dataclass(frozen=True)
class FixResult:
    edits: tuple[Replacement, ...]
    region: Region
    reason: FixReason
    message: str  # for the user: what was fixed, or why there is no fix
    replacement: str = ""  # the region's new text
    generation: Generation | None = None
    total_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


@dataclass(frozen=True)
class ExplainRequest:
    text: str
    start: int
    end: int  # a selection, or start == end for "the code around here"
    language_id: str = ""
    path: str = ""
    locale: str = "en"


@dataclass(frozen=True)
class ExplainResult:
    markdown: str
    region: Region
    reason: str  # "ok", "empty", "cancelled", "deadline", "context"
    generation: Generation | None = None
    total_ms: float = 0.0


ProgressCallback = Callable[[int, str], None]  # (tokens so far, text so far)


def describe(region: Region) -> str:
    """The region as a fix's message names it."""
    if region.kind == "function" and region.name:
        return f"`{region.name}`"
    return {"function": "the function", "block": "the block"}.get(region.kind, "the code")

