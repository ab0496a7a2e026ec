"""Settings: one frozen dataclass, parsed leniently from editor options, TOML files and flags.

Keys are accepted in camelCase (as editors send them) or snake_case, flat or nested under
``"hearth"``. A bad value never stops the server: it is reported by key and the previous value
is kept.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, cast

import pathspec

EngineName = Literal["llama_cpp", "ctransformers", "http"]
ENGINES: tuple[EngineName, ...] = ("llama_cpp", "ctransformers", "http")
SearchMode = Literal["off", "checked", "always"]
SEARCH_MODES: tuple[SearchMode, ...] = ("off", "checked", "always")
FixMethod = Literal["auto", "search", "rewrite"]
FIX_METHODS: tuple[FixMethod, ...] = ("auto", "search", "rewrite")
ServerApi = Literal["auto", "infill", "completions"]
SERVER_APIS: tuple[ServerApi, ...] = ("auto", "infill", "completions")
RiskyMode = Literal["drop", "flag"]
RISKY_MODES: tuple[RiskyMode, ...] = ("drop", "flag")


def default_threads() -> int:
    """Fewer threads than cores: llama.cpp on every core collapses when anything else runs."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min((cores or 2) - 1, 8))


@dataclass(frozen=True)
class Settings:
    # Model and engine
    model_path: str = ""  # empty: the embedded Gemma 3 270M package
    engine: EngineName = "llama_cpp"
    model_type: str = ""  # ctransformers only: the architecture of a legacy GGML file
    threads: int = dataclasses.field(default_factory=default_threads)
    context_size: int = 4096
    # Map the model file instead of reading it: shares a big model's memory between several
    # servers, but the file must then not be rewritten in place while hearth runs.
    use_mmap: bool = False
    # Completions
    max_tokens: int = 64
    time_budget_ms: int = 1500
    prompt_tokens: int = 1024  # prefix + suffix (+ project context) budget
    completion_template: str = "auto"  # a prompts/completion/*.toml family, or auto-detect
    prompts_dir: str = ""  # a folder with the user's own prompts/, searched first
    inline_completion: bool = True
    completion_item: bool = True
    # Models without fill-in-the-middle: explore and rank alternatives by how they lead into
    # the code after the cursor "checked" (when the first suggestion fails a check), "always"
    # (better suggestions, several times the latency) or "off".
    suggestion_search: SearchMode = "checked"
    # A suggestion or fix adding a process, file deletion or network call the code around it
    # does not make: "drop" it, or "flag" it (served, with a warning in the server log).
    risky_suggestions: RiskyMode = "drop"
    # Bug fixes and explanations
    code_actions: bool = True
    explain_on_hover: bool = False
    # "search": the small edit the model finds likeliest (base models, local engines only);
    # "rewrite": the model writes the corrected code; "auto": search for models without a
    # chat template when the engine can, rewrite otherwise.
    fix_method: FixMethod = "auto"
    fix_max_tokens: int = 384  # beyond the length of the code being fixed
    explain_max_tokens: int = 384
    command_timeout_ms: int = 120_000  # a fix or an explanation stops after this long
    explain_show_message: bool = True  # also window/showMessage (hearth's clients turn it off)
    # Own diagnostics
    diagnostics: bool = True
    # LAN inference server (engine = "http")
    server_url: str = ""
    api_key_env: str = ""  # name of the environment variable holding a bearer token
    ca_bundle: str = ""
    server_model: str = ""  # the model name the server knows; empty: the first it lists
    server_api: ServerApi = "auto"  # auto: llama.cpp's /infill when the server has it
    server_connect_timeout_ms: int = 2000
    server_read_timeout_ms: int = 30000  # longest silence while a reply streams in
    # Audit: refuse to load a model whose SHA-256 differs
    model_sha256: str = ""
    # Workspace
    exclude: tuple[str, ...] = ()  # extra deny-list globs, never indexed nor put in a prompt
    log_level: str = "warning"


Validator = Callable[[Any], Any]


def _int_at_least(low: int, high: int = 1 << 31) -> Validator:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be an integer, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value

    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {value!r}")
    return value


def _choice(options: tuple[str, ...]) -> Validator:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}, got {value!r}")
        return cast(str, value)

    return check


def _path(value: Any) -> str:
    text = _str(value).strip()
    return os.path.expanduser(text) if text else ""


def _sha256(value: Any) -> str:
    text = _str(value).strip().lower()
    if text and not re.fullmatch(r"[0-9a-f]{64}", text):
        raise ValueError("must be 64 hexadecimal digits")
    return text


def _url(value: Any) -> str:
    text = _str(value).strip()
    if text and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", text):
        raise ValueError(f"must be an http:// or https:// address, got {text!r}")
    return text


def _env_name(value: Any) -> str:
    """The *name* of an environment variable: a token itself must never sit in a settings file."""
    text = _str(value).strip()
    if text and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        raise ValueError("must be the name of an environment variable (the token stays in the"
                         " environment, never in settings)")
    return text


class PartlyValid(ValueError):
    """Some of a list's items are bad: the rest is used (a deny list keeps its good globs)."""

    def __init__(self, message: str, value: Any) -> None:
        super().__init__(message)
        self.value = value


def _globs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"must be a list of glob strings, got {value!r}")
    good, bad = [], []
    for glob in value:
        try:
            pathspec.GitIgnoreSpec.from_lines([glob])
        except ValueError:
            bad.append(glob)
        else:
            good.append(glob)
    if bad:
        raise PartlyValid(f"not gitignore-style patterns, ignored: {', '.join(map(repr, bad))}",
                          tuple(good))
    return tuple(value)


_VALIDATORS: dict[str, Validator] = {
    "model_path": _path,
    "engine": _choice(ENGINES),
    "model_type": _str,
    "threads": _int_at_least(1, 256),
    "context_size": _int_at_least(256, 1 << 20),
    "use_mmap": _bool,
    "max_tokens": _int_at_least(1, 1 << 16),
    "time_budget_ms": _int_at_least(50, 600_000),
    "prompt_tokens": _int_at_least(64, 1 << 20),
    "completion_template": _str,
    "prompts_dir": _path,
    "inline_completion": _bool,
    "completion_item": _bool,
    "suggestion_search": _choice(SEARCH_MODES),
    "risky_suggestions": _choice(RISKY_MODES),
    "code_actions": _bool,
    "explain_on_hover": _bool,
    "fix_method": _choice(FIX_METHODS),
    "fix_max_tokens": _int_at_least(1, 1 << 16),
    "explain_max_tokens": _int_at_least(1, 1 << 16),
    "command_timeout_ms": _int_at_least(1000, 3_600_000),
    "explain_show_message": _bool,
    "diagnostics": _bool,
    "server_url": _url,
    "api_key_env": _env_name,
    "ca_bundle": _path,
    "server_model": _str,
    "server_api": _choice(SERVER_APIS),
    "server_connect_timeout_ms": _int_at_least(50, 600_000),
    "server_read_timeout_ms": _int_at_least(100, 3_600_000),
    "model_sha256": _sha256,
    "exclude": _globs,
    "log_level": _choice(("debug", "info", "warning", "error")),
}
FIELD_NAMES = tuple(f.name for f in fields(Settings))
assert set(_VALIDATORS) == set(FIELD_NAMES)


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _flatten(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Accept ``{"hearth": {...}}``, ``{"hearth.modelPath": ...}`` and flat keys alike."""
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "hearth" and isinstance(value, Mapping):
            flat.update(_flatten(value))
        elif isinstance(key, str):
            flat[key.removeprefix("hearth.")] = value
    return flat


def merge(base: Settings, raw: Any) -> tuple[Settings, list[str]]:
    """Apply the known keys of ``raw`` over ``base``; return the result and one error per bad key.

    Unknown keys are reported too (a typo should not silently do nothing); ``None`` means unset.
    """
    if raw is None:
        return base, []
    if not isinstance(raw, Mapping):
        return base, [f"settings must be an object, got {type(raw).__name__}"]
    changes: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in _flatten(raw).items():
        name = _snake(key)
        if name not in _VALIDATORS:
            errors.append(f"hearth.{key}: unknown setting, ignored")
            continue
        if value is None:
            continue
        try:
            changes[name] = _VALIDATORS[name](value)
        except PartlyValid as exc:
            changes[name] = exc.value
            errors.append(f"hearth.{camel(name)}: {exc}")
        except ValueError as exc:
            errors.append(f"hearth.{camel(name)}: {exc}; keeping {getattr(base, name)!r}")
    return dataclasses.replace(base, **changes), errors


def load_file(path: Path, base: Settings) -> tuple[Settings, list[str]]:
    """Settings from a TOML file (keys as in the editor settings, optionally under [hearth])."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return base, [f"{path}: cannot read settings ({exc})"]
    return merge(base, raw)


def user_config_path() -> Path:
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(root) / "hearth-lsp" / "config.toml"
