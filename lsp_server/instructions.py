"""Prompts for instructions (``prompts/fix.toml``, ``prompts/explain.toml``).

A model whose GGUF metadata carries a chat template gets its own conversation format: the
template is rendered by Jinja2's immutable sandbox, so a template in a downloaded model file can
read its variables but never reach Python internals, change them or run code. A template that
fails (or tries to escape) falls back to the completion-style template, written for base models
such as the embedded Gemma 3 270M.

Only the template's own text is markup (where special tokens such as ``<|im_start|>`` count):
message contents and the answer's start are plain text, so code in a document cannot forge
conversation turns.
"""

from __future__ import annotations

import datetime
import logging
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from .engines.base import ModelInfo, Prompt
from .prompts import PromptError, Template, load_text_template

log = logging.getLogger(__name__)

Style = Literal["chat", "completion"]
_SLOT = "\ue000hearth-slot-{}\ue001"
_SLOT_RE = re.compile("\ue000hearth-slot-(\\d+)\ue001")


@dataclass(frozen=True)
class Rendered:
    prompt: Prompt
    stop: tuple[str, ...]
    style: Style
    answer_start: str  # text the answer was started with (already part of the prompt)


@dataclass(frozen=True)
class ChatParts:
    system: str
    user: str
    answer: str
    stop: tuple[str, ...]


@dataclass(frozen=True)
class Instruction:
    """One prompt file: its chat messages, its completion-style template and its extra tables."""

    name: str
    chat: ChatParts
    completion: Template
    completion_answer: str  # how the answer starts (plain text), after the template
    tables: Mapping[str, Any]

    def render(self, info: ModelInfo, fields: Mapping[str, str],
               prefer: Style | None = None) -> Rendered:
        """The prompt for this model: chat when it has a usable template, else completion."""
        if info.chat_template and prefer != "completion":
            try:
                return self._render_chat(info.chat_template, fields)
            except ChatTemplateError as exc:
                log.warning("%s: the model's chat template is unusable (%s); using the "
                            "completion-style prompt", self.name, exc)
        prompt = self.completion.render(**fields)
        answer = _format(self.completion_answer, fields)
        if answer:
            prompt = Prompt((*prompt.parts, (answer, False)))
        return Rendered(prompt, self.completion.stop, "completion", answer)

    def _render_chat(self, source: str, fields: Mapping[str, str]) -> Rendered:
        system = _format(self.chat.system, fields).strip()
        user = _format(self.chat.user, fields).strip()
        answer = _format(self.chat.answer, fields)
        # Templates that reject a system turn get it merged into the user's.
        attempts = [[("system", system), ("user", user)], [("user", f"{system}\n\n{user}")]]
        error: ChatTemplateError | None = None
        for messages in attempts if system else attempts[1:]:
            try:
                parts = render_chat_template(source, messages)
            except ChatTemplateError as exc:
                error = exc
                continue
            if answer:
                parts = (*parts, (answer, False))
            return Rendered(Prompt(parts), self.chat.stop, "chat", answer)
        assert error is not None
        raise error


class ChatTemplateError(ValueError):
    """The model's chat template cannot be rendered safely."""


def _raise_exception(message: str) -> NoReturn:
    raise ChatTemplateError(f"the template refused the conversation: {message}")


def _strftime_now(fmt: str) -> str:
    return datetime.datetime.now().strftime(fmt)


def render_chat_template(source: str, messages: list[tuple[str, str]]
                         ) -> tuple[tuple[str, bool], ...]:
    """The conversation up to the assistant's turn, as (text, is_markup) parts."""
    from jinja2 import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals.update(raise_exception=_raise_exception, strftime_now=_strftime_now)
    slots = [_SLOT.format(index) for index in range(len(messages))]
    try:
        rendered = env.from_string(source).render(
            messages=[{"role": role, "content": slot}
                      for (role, _), slot in zip(messages, slots, strict=True)],
            add_generation_prompt=True,
            # The engine adds the model's BOS itself; the template must not add a second one.
            bos_token="", eos_token="", tools=None, documents=None,
        )
    except ChatTemplateError:
        raise
    except TemplateError as exc:  # SecurityError is one
        raise ChatTemplateError(f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # a template is foreign code: any failure means "do not use it"
        raise ChatTemplateError(f"{type(exc).__name__}: {exc}") from exc
    pieces = _SLOT_RE.split(rendered)
    if len(pieces) != 2 * len(messages) + 1:
        raise ChatTemplateError("the template does not show every message once")
    parts: list[tuple[str, bool]] = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            if piece:
                parts.append((piece, True))
        else:
            parts.append((messages[int(piece)][1], False))
    return tuple(parts)


def _format(text: str, fields: Mapping[str, str]) -> str:
    """``str.format`` that leaves unknown placeholders empty."""
    out: list[str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(fields.get(name, ""))
    return "".join(out)


def load_instruction(name: str, user_dir: str = "") -> Instruction:
    raw = load_text_template(name, user_dir)
    try:
        chat = raw["chat"]
        completion = raw["completion"]
        return Instruction(
            name=name,
            chat=ChatParts(system=str(chat.get("system", "")), user=str(chat["user"]),
                           answer=str(chat.get("answer", "")),
                           stop=tuple(str(s) for s in chat.get("stop", ()))),
            completion=Template(family=name, template=str(completion["template"]),
                                stop=tuple(str(s) for s in completion.get("stop", ())),
                                source=f"{name}.toml"),
            completion_answer=str(completion.get("answer", "")),
            tables={k: v for k, v in raw.items() if k not in ("chat", "completion")},
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise PromptError(f"{name}.toml: malformed ({exc!r})") from exc
