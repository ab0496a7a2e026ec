"""Prompt templates from ``prompts/`` (TOML), chosen for the loaded model.

A template's literal text is markup (FIM markers, chat turns) and its ``{placeholders}`` are
filled with document text; the engine parses special tokens in markup only.
"""

from __future__ import annotations

import os
import string
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from .engines.base import Engine, ModelInfo, Prompt
from .prompt_files import PromptFileError, check_nesting, read_limited, within_time_limit


class PromptError(ValueError):
    """A template file is unreadable or malformed."""


_SETTING = " (hearth.promptsDir)"
T = TypeVar("T")


@dataclass(frozen=True)
class Template:
    family: str
    template: str
    stop: tuple[str, ...] = ()
    priority: int = 0
    architectures: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    source: str = ""
    # How each other file of the project is laid out where the template says ``{files}``
    # (repository-level fill-in-the-middle); "" keeps cross-file context as comments in
    # ``{context}``.
    file: str = ""

    @property
    def fim(self) -> bool:
        return "{suffix}" in self.template

    def matches(self, info: ModelInfo, engine: Engine) -> bool:
        if self.architectures and info.architecture not in self.architectures:
            return False
        if self.names:
            label = f"{info.name} {info.metadata.get('general.basename', '')}".lower()
            if not any(name.lower() in label for name in self.names):
                return False
        return all(engine.is_special_token(token) for token in self.tokens)

    @property
    def specificity(self) -> int:
        return bool(self.architectures) + bool(self.names) + bool(self.tokens)

    @property
    def repo_level(self) -> bool:
        return bool(self.file)

    def render(self, **fields: str) -> Prompt:
        """Fill the placeholders; unknown placeholders are left empty."""
        return self.render_files((), fields)

    def render_files(self, files: Sequence[tuple[str, str]], fields: Mapping[str, str]
                     ) -> Prompt:
        """``render``, with ``{files}`` repeating the ``file`` layout for each (path, text) of
        ``files`` (the other files of a repository-level prompt)."""
        parts: list[tuple[str, bool]] = []
        used: dict[str, str] = {}
        for literal, name, _spec, _conv in string.Formatter().parse(self.template):
            if literal:
                parts.append((literal, True))
            if name == "files":
                for path, text in files:
                    parts += _fill(self.file, {**fields, "path": path, "text": text})
            elif name is not None:
                used[name] = fields.get(name, "")
                parts.append((used[name], False))
        return Prompt(tuple(part for part in parts if part[0]), tuple(used.items()),
                      tuple(files))


def _fill(template: str, fields: Mapping[str, str]) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            parts.append((literal, True))
        if name is not None:
            parts.append((fields.get(name, ""), False))
    return parts


def _parse(raw: Mapping[str, Any], source: str) -> Template:
    try:
        match = raw.get("match", {})
        if ("{files}" in str(raw["template"])) != bool(raw.get("file")):
            raise ValueError("a template with {files} needs a `file` layout, and only then")
        return Template(
            family=str(raw["family"]),
            template=str(raw["template"]),
            stop=tuple(str(s) for s in raw.get("stop", ())),
            priority=int(raw.get("priority", 0)),
            architectures=tuple(str(a) for a in match.get("architectures", ())),
            tokens=tuple(str(t) for t in match.get("tokens", ())),
            names=tuple(str(n) for n in match.get("names", ())),
            source=source,
            file=str(raw.get("file", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PromptError(f"{source}: malformed template ({exc!r})") from exc


def _read(entry: Traversable | Path, user: bool = False) -> dict[str, Any]:
    """A prompt file's TOML, read with limits (see prompt_files.py); a user's file (from
    hearth.promptsDir) is named with the setting when it fails."""
    try:
        # an installed resource that is not a file (in a zip, say) is ours, and small
        text = (read_limited(entry) if isinstance(entry, Path)
                else entry.read_text(encoding="utf-8"))
        check_nesting(text)
        return tomllib.loads(text)
    except PromptFileError as exc:
        raise PromptError(f"{entry}: {exc}{_SETTING if user else ''}") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise PromptError(f"{entry}: {exc}{_SETTING if user else ''}") from exc


def _installed() -> Traversable:
    return files("lsp_server.prompt_data")


def completion_templates(user_dir: str = "") -> list[Template]:
    """All completion templates; a user's file (hearth.promptsDir) replaces the installed one
    of the same family."""
    found = {t.family: t for t in _templates_in(_installed(), user=False)}
    if user_dir:
        mine = _in_time(partial(_templates_in, Path(user_dir), user=True), Path(user_dir))
        found.update((t.family, t) for t in mine)
    return list(found.values())


def _in_time(read: Callable[[], T], where: Path) -> T:
    """A read in the user's folder, bounded in time (a network file system that hangs)."""
    try:
        return within_time_limit(read)
    except PromptFileError as exc:
        raise PromptError(f"{where}: {exc}{_SETTING}") from exc


def _templates_in(root: Traversable | Path, user: bool) -> list[Template]:
    folder = root / "completion"
    if not folder.is_dir():
        return []
    return [_parse(_read(entry, user), str(entry))
            for entry in sorted(folder.iterdir(), key=lambda e: e.name)
            if entry.name.endswith(".toml")]


def choose_completion_template(
    templates: Iterable[Template], info: ModelInfo, engine: Engine, wanted: str = "auto"
) -> Template:
    """The template named by ``wanted``, else the most specific one the model satisfies."""
    pool = list(templates)
    if wanted != "auto":
        for template in pool:
            if template.family == wanted:
                return template
        raise PromptError(
            f"no completion template named {wanted!r} (have: "
            f"{', '.join(sorted(t.family for t in pool))})"
        )
    usable = [t for t in pool if t.matches(info, engine)]
    if not usable:
        raise PromptError("no completion template matches this model (prompts/completion/)")
    return max(usable, key=lambda t: (t.priority, t.specificity, not t.fim))


def load_text_template(name: str, user_dir: str = "") -> dict[str, Any]:
    """A top-level prompt file such as ``fix.toml`` or ``explain.toml``: the user's if their
    folder has one (anything there by that name that cannot be read is an error, not a reason
    to fall back silently), else the installed one."""
    if user_dir:
        entry = Path(user_dir) / f"{name}.toml"
        found = _in_time(partial(_user_file, entry), entry)
        if found is not None:
            return found
    installed = _installed() / f"{name}.toml"
    if installed.is_file():
        return _read(installed)
    raise PromptError(f"prompt file {name}.toml not found")


def _user_file(entry: Path) -> dict[str, Any] | None:
    if not os.path.lexists(entry):
        return None
    return _read(entry, user=True)
