"""Settings, each declared once: its type and default (the dataclass field), how its value is
checked, whether a change reloads the model, whether a workspace may choose it, and what it
does. The VS Code extension's ``contributes.configuration`` and the README's table are
generated from these declarations (scripts/settings_docs.py) and tested against them.

Values come leniently from editor options, TOML files and flags: keys in camelCase (as editors
send them) or snake_case, flat or nested under ``"hearth"``. A bad value never stops the server:
it is reported by key and the value in force is kept.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, TypeVar

from .validators import (
    Choice,
    EnvName,
    FilePath,
    Flag,
    Globs,
    IntRange,
    PartlyValid,
    Sha256,
    Text,
    Url,
    Validator,
)

EngineName = Literal["llama_cpp", "ctransformers", "http"]
ENGINES: tuple[EngineName, ...] = ("llama_cpp", "ctransformers", "http")
SearchMode = Literal["off", "checked", "always"]
SEARCH_MODES: tuple[SearchMode, ...] = ("checked", "always", "off")
FixMethod = Literal["auto", "search", "rewrite"]
FIX_METHODS: tuple[FixMethod, ...] = ("auto", "search", "rewrite")
ServerApi = Literal["auto", "infill", "completions"]
SERVER_APIS: tuple[ServerApi, ...] = ("auto", "infill", "completions")
RiskyMode = Literal["drop", "flag"]
RISKY_MODES: tuple[RiskyMode, ...] = ("drop", "flag")
LogLevel = Literal["debug", "info", "warning", "error"]
LOG_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "warning", "error")


def default_threads() -> int:
    """Fewer threads than cores: llama.cpp on every core collapses when anything else runs."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min((cores or 2) - 1, 8))


@dataclass(frozen=True)
class Setting:
    """What is declared about one setting besides its type and default."""

    validate: Validator
    doc: str  # Markdown: the editor's description and the README's
    reload: bool = False  # a change loads the model again
    # False: only the user's own settings may choose it, never a workspace's (a project folder
    # someone else wrote): what runs, where code may be sent, what is trusted.
    workspace: bool = True
    shown_default: str = ""  # the default as people read it, when not the value itself
    computed: bool = False  # the default is worked out on this machine (editors show it empty)
    contributed: bool = True  # False: set by hearth's own clients, not offered to users


T = TypeVar("T")


def setting(default: T, validate: Validator, doc: str, **facts: Any) -> T:
    return dataclasses.field(default=default, metadata={"setting": Setting(validate, doc, **facts)})


def computed(factory: Callable[[], T], validate: Validator, doc: str, **facts: Any) -> T:
    return dataclasses.field(default_factory=factory, metadata={
        "setting": Setting(validate, doc, computed=True, **facts)})


@dataclass(frozen=True)
class Settings:
    # -- the model and what runs it
    model_path: str = setting(
        "", FilePath(), "A GGUF model file (or a GGML file with `hearth.engine` = `ctransformers`)."
        " Fill-in-the-middle models (Qwen2.5-Coder, StarCoder2, DeepSeek-Coder, CodeLlama,"
        " CodeGemma) are detected from the file's metadata.",
        reload=True, workspace=False, shown_default="the embedded Gemma 3 270M")
    engine: EngineName = setting(
        "llama_cpp", Choice(ENGINES), "What runs the model: `llama_cpp` (llama-cpp-python),"
        " `ctransformers` (legacy GGML/GGUF v2-v3 llama files) or `http` (an inference server"
        " on your network, see `hearth.serverUrl`).", reload=True)
    model_type: str = setting(
        "", Text(), "ctransformers only: the architecture of a legacy GGML file (e.g. `llama`,"
        " `gpt2`, `starcoder`).", reload=True)
    threads: int = computed(
        default_threads, IntRange(1, 256), "CPU threads for generation (llama.cpp on every"
        " core collapses when anything else runs).",
        reload=True, shown_default="cores − 1 (at most 8)")
    context_size: int = setting(
        4096, IntRange(256, 1 << 20), "The model's context window, in tokens. More than the"
        " model was trained for is lowered to that; a size whose KV cache this machine's free"
        " memory cannot hold is refused before anything is allocated.", reload=True)
    use_mmap: bool = setting(
        False, Flag(), "Map the model file instead of reading it into memory: several servers"
        " share a big model's memory, but the file must not be rewritten while hearth runs.",
        reload=True)
    model_sha256: str = setting(
        "", Sha256(), "Refuse to load a model whose SHA-256 differs (64 hexadecimal digits),"
        " for audited sites. Empty: no check.", reload=True, workspace=False)
    # -- completions
    max_tokens: int = setting(64, IntRange(1, 1 << 16), "Longest suggestion, in tokens.")
    time_budget_ms: int = setting(
        1500, IntRange(50, 600_000), "Time allowed for one suggestion, in milliseconds; what"
        " is generated by then is shown.")
    prompt_tokens: int = setting(
        1024, IntRange(64, 1 << 20), "Tokens of context put in the prompt: before and after"
        " the cursor, and from the project.")
    completion_template: str = setting(
        "auto", Text(), "The prompt template family (a file in `prompts/completion/`), or"
        " `auto` to detect it from the model.", reload=True)
    prompts_dir: str = setting(
        "", FilePath(), "A folder with your own prompt files (`completion/*.toml`, `fix.toml`,"
        " `explain.toml`), searched before the bundled ones.", reload=True, workspace=False)
    suggestion_search: SearchMode = setting(
        "checked", Choice(SEARCH_MODES), "Explore and rank alternative suggestions: `checked`"
        " when the first one fails a syntax or layout check, `always` (better, several times"
        " slower on a small CPU), or `off`.")
    risky_suggestions: RiskyMode = setting(
        "drop", Choice(RISKY_MODES), "A suggestion or fix that adds a call running a process"
        " or code, deleting files or opening a network connection, where the code around it"
        " makes no such call: `drop` it, or `flag` it (served, with a warning in the server"
        " log).", workspace=False)
    inline_completion: bool = setting(
        True, Flag(), "Answer `textDocument/inlineCompletion`: suggestions as ghost text.")
    completion_item: bool = setting(
        True, Flag(), "Offer the suggestion as an item of the completion menu, for editors"
        " without ghost text. In VS Code this applies while `hearth.inlineCompletion` is off"
        " (VS Code cannot tell Ctrl+Space from typing).")
    # -- bug fixes and explanations
    code_actions: bool = setting(
        True, Flag(), "Offer *Fix with hearth* and *Explain with hearth* code actions.")
    explain_on_hover: bool = setting(
        False, Flag(), "Explain code on hover (off by default: hovers fire on every mouse"
        " move).")
    fix_method: FixMethod = setting(
        "auto", Choice(FIX_METHODS), "How quick fixes are found: `search` tries small edits and"
        " keeps the one the model finds likeliest (base models such as the embedded one; local"
        " engines only), `rewrite` has the model write the corrected code (instruction models),"
        " `auto` picks by the model's chat template.")
    fix_max_tokens: int = setting(
        384, IntRange(1, 1 << 16), "Longest fix, in tokens, beyond the length of the code"
        " being fixed.")
    explain_max_tokens: int = setting(
        384, IntRange(1, 1 << 16), "Longest explanation, in tokens.")
    command_timeout_ms: int = setting(
        120_000, IntRange(1000, 3_600_000), "A fix or an explanation stops after this long, in"
        " milliseconds.")
    explain_show_message: bool = setting(
        True, Flag(), "Also send explanations as `window/showMessage` (hearth's own clients"
        " show them themselves and turn this off).", contributed=False)
    diagnostics: bool = setting(
        True, Flag(), "Publish hearth's own diagnostics (tree-sitter syntax errors, source"
        " `hearth`).")
    # -- a team's inference server (engine = "http")
    server_url: str = setting(
        "", Url(), "With `hearth.engine` = `http`: the inference server on your network, e.g."
        " `http://gpu-box.lan:8080` (llama.cpp's server or any OpenAI-compatible"
        " `/v1/completions`).", reload=True, workspace=False)
    api_key_env: str = setting(
        "", EnvName(), "The *name* of an environment variable holding the inference server's"
        " bearer token (the token itself never goes in settings).",
        reload=True, workspace=False)
    ca_bundle: str = setting(
        "", FilePath(), "A PEM file of certificate authorities to trust for an `https://`"
        " inference server.", reload=True, workspace=False)
    server_model: str = setting(
        "", Text(), "The model name the inference server knows.", reload=True,
        shown_default="the first it lists")
    server_api: ServerApi = setting(
        "auto", Choice(SERVER_APIS), "The inference server's API: `infill` (llama.cpp's"
        " `/infill`), `completions` (OpenAI `/v1/completions`) or `auto` (`/infill` when the"
        " server has it).", reload=True)
    server_connect_timeout_ms: int = setting(
        2000, IntRange(50, 600_000), "Time allowed to connect to the inference server, in"
        " milliseconds.", reload=True)
    server_read_timeout_ms: int = setting(
        30_000, IntRange(100, 3_600_000), "Longest silence while a reply streams in from the"
        " inference server, in milliseconds.", reload=True)
    # -- the workspace
    exclude: tuple[str, ...] = setting(
        (), Globs(), "Extra globs (gitignore syntax, any letter case) of files that are never"
        " indexed nor put in a prompt.")
    log_level: LogLevel = setting(
        "warning", Choice(LOG_LEVELS), "How much the server logs (to stderr or `--log-file`;"
        " in VS Code, the *hearth* output channel).")


SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(Settings)}
FIELD_NAMES = tuple(SETTINGS)
RELOAD_KEYS = tuple(name for name, spec in SETTINGS.items() if spec.reload)


def needs_reload(old: Settings, new: Settings) -> bool:
    """Whether going from ``old`` to ``new`` needs the model loaded again."""
    return any(getattr(old, key) != getattr(new, key) for key in RELOAD_KEYS)


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


def merge(base: Settings, raw: Any, keep: Settings | None = None
          ) -> tuple[Settings, list[str]]:
    """``base`` with the known keys of ``raw`` applied; the result and one error per bad key.

    A bad value leaves the setting as ``keep`` has it (the settings in force; ``base`` when
    not given). Unknown keys are reported too (a typo should not silently do nothing);
    ``None`` means unset.
    """
    keep = base if keep is None else keep
    if raw is None:
        return base, []
    if not isinstance(raw, Mapping):
        return base, [f"settings must be an object, got {type(raw).__name__}"]
    changes: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in _flatten(raw).items():
        name = _snake(key)
        spec = SETTINGS.get(name)
        if spec is None:
            errors.append(f"hearth.{key}: unknown setting, ignored")
            continue
        if value is None:
            continue
        try:
            changes[name] = spec.validate(value)
        except PartlyValid as exc:
            changes[name] = exc.value
            errors.append(f"hearth.{camel(name)}: {exc}")
        except ValueError as exc:
            kept = getattr(keep, name)
            changes[name] = kept
            errors.append(f"hearth.{camel(name)}: {exc}; keeping {_shown(kept)}")
    return dataclasses.replace(base, **changes), errors


def _shown(value: Any) -> str:
    return repr(list(value) if isinstance(value, tuple) else value)


def load_file(path: Path, base: Settings) -> tuple[Settings, list[str]]:
    """Settings from a TOML file (keys as in the editor settings, optionally under [hearth])."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        return base, [f"{path}: cannot read settings ({exc})"]
    return merge(base, raw)


def user_config_path() -> Path:
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(root) / "hearth-lsp" / "config.toml"
