"""How each kind of setting value is checked, and what an editor's settings schema says of it.

A validator takes the value as the editor sent it (JSON) and returns it in the form the server
uses, or raises ``ValueError`` with a reason the user reads after the setting's name. Its
``schema()`` is what a JSON schema (VS Code's ``contributes.configuration``) says about the
same limits, so the editor's settings UI refuses what the server would.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Protocol

import pathspec


class Validator(Protocol):
    def __call__(self, value: Any) -> Any: ...

    def schema(self) -> dict[str, Any]: ...


class PartlyValid(ValueError):
    """Some of a list's items are bad: the rest is used (a deny list keeps its good globs)."""

    def __init__(self, message: str, value: Any) -> None:
        super().__init__(message)
        self.value = value


@dataclass(frozen=True)
class IntRange:
    low: int
    high: int

    def __call__(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be an integer, got {value!r}")
        if not self.low <= value <= self.high:
            raise ValueError(f"must be between {self.low} and {self.high}, got {value}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"minimum": self.low, "maximum": self.high}


@dataclass(frozen=True)
class Flag:
    def __call__(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {value!r}")
        return value

    def schema(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Text:
    def __call__(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, got {value!r}")
        return value

    def schema(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Choice:
    options: tuple[str, ...]

    def __call__(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.options:
            raise ValueError(f"must be one of {', '.join(self.options)}, got {value!r}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.options)}


@dataclass(frozen=True)
class FilePath(Text):
    """A path on this machine; ``~`` is the user's home."""

    def __call__(self, value: Any) -> str:
        text = super().__call__(value).strip()
        return os.path.expanduser(text) if text else ""


@dataclass(frozen=True)
class Sha256(Text):
    def __call__(self, value: Any) -> str:
        text = super().__call__(value).strip().lower()
        if text and not re.fullmatch(r"[0-9a-f]{64}", text):
            raise ValueError("must be 64 hexadecimal digits")
        return text

    def schema(self) -> dict[str, Any]:
        return {"pattern": "^([0-9a-fA-F]{64})?$"}


@dataclass(frozen=True)
class Url(Text):
    def __call__(self, value: Any) -> str:
        text = super().__call__(value).strip()
        if text and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", text):
            raise ValueError(f"must be an http:// or https:// address, got {text!r}")
        return text


@dataclass(frozen=True)
class EnvName(Text):
    """The *name* of an environment variable: a token itself must never sit in a settings
    file."""

    def __call__(self, value: Any) -> str:
        text = super().__call__(value).strip()
        if text and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
            raise ValueError("must be the name of an environment variable (the token stays in"
                             " the environment, never in settings)")
        return text


@dataclass(frozen=True)
class Globs:
    """gitignore-style patterns. Each is compiled the way the deny list uses it (lower-cased:
    it matches in any letter case), so a pattern accepted here cannot fail later."""

    def __call__(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"must be a list of glob strings, got {value!r}")
        good, bad = [], []
        for glob in value:
            try:
                pathspec.GitIgnoreSpec.from_lines([glob.lower()]).match_file("a")
            except (ValueError, re.error):
                bad.append(glob)
            else:
                good.append(glob)
        if bad:
            raise PartlyValid(
                f"not gitignore-style patterns, ignored: {', '.join(map(repr, bad))}",
                tuple(good))
        return tuple(value)

    def schema(self) -> dict[str, Any]:
        return {}
