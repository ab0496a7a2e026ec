"""Explanations: the code to explain, the prompt in the editor's language, the answer tidied
(small models repeat themselves), and what the syntax tree says the code does (code_facts.py)
after the model's text, so an explanation states what the code returns and what looks wrong
even when the model only describes what the function's name suggests."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from .. import regions
from ..instructions import Instruction, load_instruction
from ..languages import fence_name
from ..regions import Region
from .code_facts import CodeFacts, code_facts
from .requests import ExplainRequest, ExplainResult
from .session import Session

if TYPE_CHECKING:
    from .assistant import Assistant


MAX_EXPLAIN_CODE_TOKENS = 1536


class ExplainSession(Session):
    def __init__(self, assistant: Assistant, request: ExplainRequest) -> None:
        super().__init__(assistant)
        self.request = request
        self.region = explain_region(request)
        self.locale = locale_table(assistant.explain_prompt, request.locale)
        self.facts_text = fact_templates(assistant.explain_prompt, request.locale)
        self.facts: CodeFacts = code_facts(request.text, request.language_id,
                                           self.region.start, self.region.end)
        self.lead = ""

    def prepare(self) -> None:
        request, settings = self.request, self.assistant.settings
        code = self.region.text(request.text)
        budget = min(MAX_EXPLAIN_CODE_TOKENS,
                     settings.context_size - settings.explain_max_tokens - 256)
        code = _fit(code, budget, self.engine.count_tokens)
        is_function = self.region.kind == "function"
        subject = (f"function `{self.region.name}`" if is_function and self.region.name
                   else "function" if is_function else "code")
        self.lead = self.locale["function" if is_function else "code"]
        language = request.language_id or "text"
        fields = {
            "language": language, "fence": fence_name(language), "path": request.path or "code",
            "code": code, "subject": subject, "answer_language": self.locale["answer_language"],
            "heading": self.locale["heading"], "lead": self.lead,
            "facts": f"{facts}\n\n" if (facts := self._facts_markdown()) else "",
        }
        rendered = self.assistant.explain_prompt.render(self.engine.info, fields)
        room = self._room(rendered.prompt, settings.explain_max_tokens)
        if room < 16:
            self.early_result = "context"
            return
        self.rendered, self.max_tokens = rendered, room

    def complete(self, text: str) -> bool:
        return _repeat_start(text) is not None

    def result(self) -> ExplainResult:
        state = self.state
        generation = self.generation()
        elapsed = (time.monotonic() - state.started) * 1000
        answer_start = self.rendered.answer_start if self.rendered is not None else ""
        body = _tidy(answer_start + state.text)
        if self.facts and self.rendered is not None and self.rendered.style == "completion":
            # A base model's first paragraph says what it has to say; the facts follow it.
            body = body.split("\n\n")[0]
        reason = state.stop_reason if state.stop_reason in ("cancelled", "deadline",
                                                            "context") else "ok"
        if reason == "ok" and len(body.strip()) <= len(answer_start.strip()):
            reason = "empty"
        markdown = f"**{self.locale['heading']}: {_title(self.region, self.request)}**\n\n"
        if reason == "ok":
            markdown += body
        if reason in ("ok", "empty") and self.facts:
            markdown = markdown.rstrip() + "\n\n" + self._facts_markdown()
        else:
            markdown += {"cancelled": "_Cancelled._", "deadline": "_The model took too long._",
                         "context": "_The code is too long for the model's context._",
                         }.get(reason, "_The model gave no explanation._")
        return ExplainResult(markdown, self.region, reason, generation, elapsed)


    def _facts_markdown(self) -> str:
        """The facts as Markdown lists under their headings ("" when there are none)."""
        does, wrong = self.facts.lines(self.facts_text)
        sections = []
        for key, lines in (("heading_does", does), ("heading_wrong", wrong)):
            if lines:
                sections.append(f"**{self.facts_text.get(key, key)}**\n"
                                + "\n".join(f"- {line}" for line in lines))
        return "\n\n".join(sections)


def explain_region(request: ExplainRequest) -> Region:
    """The selection (whole lines) if there is one, else the function or block around it."""
    text = request.text
    if request.end > request.start and text[request.start:request.end].strip():
        start, end = regions.line_bounds(text, request.start, request.end)
        inside = regions.function_region(text, request.language_id, request.start)
        if inside is not None and (inside.start, inside.end) == (start, end):
            return inside
        return Region(start, end, "selection")
    return regions.fix_region(text, request.language_id, request.start, request.end)


def locale_table(prompt: Instruction, locale: str) -> dict[str, str]:
    """The [locales.*] entry for an editor locale ("pt-BR" → "pt"), English when missing."""
    tables = prompt.tables.get("locales", {})
    wanted = (locale or "en").lower().replace("_", "-")
    for key in (wanted, wanted.split("-")[0], "en"):
        entry = tables.get(key)
        if isinstance(entry, dict):
            merged = {"answer_language": "English", "heading": "Explanation",
                      "function": "This function", "code": "This code"}
            merged.update({k: str(v) for k, v in entry.items()})
            return merged
    return {"answer_language": "English", "heading": "Explanation",
            "function": "This function", "code": "This code"}


def fact_templates(prompt: Instruction, locale: str) -> dict[str, str]:
    """The [facts.*] templates for an editor locale, English for what is missing (also when
    a user's explain.toml has no facts tables)."""
    wanted = (locale or "en").lower().replace("_", "-")
    merged: dict[str, str] = {}
    for source in (_builtin_explain(), prompt):
        tables = source.tables.get("facts", {})
        for key in ("en", wanted.split("-")[0], wanted):
            entry = tables.get(key)
            if isinstance(entry, dict):
                merged.update({k: str(v) for k, v in entry.items()})
    return merged


@cache
def _builtin_explain() -> Instruction:
    return load_instruction("explain")


def _title(region: Region, request: ExplainRequest) -> str:
    first = request.text.count("\n", 0, region.start) + 1
    last = first + request.text.count("\n", region.start, region.end)
    where = f"{request.path or 'lines'} {first}–{last}" if last > first else \
        f"{request.path or 'line'} {first}"
    if region.kind == "function" and region.name:
        return f"`{region.name}` ({where})"
    return where


def _fit(code: str, budget: int, count: Callable[[str], int]) -> str:
    """The code, cut to whole lines within ``budget`` tokens."""
    if count(code) <= budget:
        return code
    lines = code.split("\n")
    low, high = 1, len(lines)
    while low < high:
        mid = (low + high + 1) // 2
        if count("\n".join(lines[:mid])) <= budget:
            low = mid
        else:
            high = mid - 1
    return "\n".join(lines[:low]) + "\n…"


def _repeat_start(text: str) -> int | None:
    """Index where a small model starts repeating a line it already wrote, or None."""
    seen: set[str] = set()
    offset = 0
    for line in text.split("\n")[:-1]:  # complete lines only
        key = " ".join(line.split()).lower()
        if len(key) >= 12:
            if key in seen:
                return offset
            seen.add(key)
        offset += len(line) + 1
    return None


def _tidy(text: str) -> str:
    """The explanation without repeated lines, dangling fences or trailing blanks."""
    cut = _repeat_start(text + "\n")
    if cut is not None:
        text = text[:cut]
    if text.count("```") % 2:
        text = text[:text.rfind("```")]
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))
