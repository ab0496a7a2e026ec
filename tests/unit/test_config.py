"""Settings parsing: camelCase or snake_case, nested or flat, bad values reported by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.config import Settings, default_threads, load_file, merge


def test_camel_and_nested_keys() -> None:
    settings, errors = merge(Settings(), {"hearth": {"modelPath": "~/m.gguf", "maxTokens": 32}})
    assert errors == []
    assert settings.max_tokens == 32
    assert settings.model_path.endswith("/m.gguf") and not settings.model_path.startswith("~")


def test_dotted_and_snake_keys() -> None:
    settings, errors = merge(Settings(), {"hearth.timeBudgetMs": 900, "context_size": 2048})
    assert errors == []
    assert (settings.time_budget_ms, settings.context_size) == (900, 2048)


def test_invalid_values_keep_defaults_and_name_the_key() -> None:
    base = Settings()
    settings, errors = merge(base, {"threads": "many", "engine": "gpt", "maxTokens": 0,
                                    "inlineCompletion": "yes", "modelSha256": "abc"})
    assert settings == base
    joined = "\n".join(errors)
    for key in ("hearth.threads", "hearth.engine", "hearth.maxTokens",
                "hearth.inlineCompletion", "hearth.modelSha256"):
        assert key in joined


def test_a_pattern_that_cannot_compile_is_named_and_the_others_kept() -> None:
    settings, errors = merge(Settings(), {"exclude": ["!", "secrets/", "\\"]})
    assert settings.exclude == ("secrets/",)
    assert errors == ["hearth.exclude: not gitignore-style patterns, ignored: '!', '\\\\'"]


def test_unknown_keys_and_non_objects_are_reported() -> None:
    _, errors = merge(Settings(), {"modelPth": "x"})
    assert errors == ["hearth.modelPth: unknown setting, ignored"]
    settings, errors = merge(Settings(), ["not", "an", "object"])
    assert settings == Settings() and errors


def test_none_values_mean_unset() -> None:
    settings, errors = merge(Settings(max_tokens=10), {"maxTokens": None})
    assert settings.max_tokens == 10 and errors == []


def test_threads_default_leaves_a_core_free() -> None:
    assert 1 <= default_threads() <= 8


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[hearth]\nmodelPath = "/models/q.gguf"\nthreads = 3\n', encoding="utf-8")
    settings, errors = load_file(path, Settings())
    assert errors == [] and settings.model_path == "/models/q.gguf" and settings.threads == 3
    path.write_text("threads = [", encoding="utf-8")
    settings, errors = load_file(path, Settings())
    assert settings == Settings() and "cannot read settings" in errors[0]


def test_a_bad_value_keeps_the_value_in_force_when_one_is_given() -> None:
    in_force = Settings(max_tokens=12, inline_completion=False)
    settings, errors = merge(Settings(), {"maxTokens": "lots", "inlineCompletion": True},
                             keep=in_force)
    assert settings.max_tokens == 12 and settings.inline_completion is True
    assert errors == ["hearth.maxTokens: must be an integer, got 'lots'; keeping 12"]
    # a key not sent is the base's, whatever was in force
    settings, _ = merge(Settings(), {}, keep=in_force)
    assert settings == Settings()


def test_each_setting_is_declared_once_with_what_the_server_needs() -> None:
    from lsp_server.config import RELOAD_KEYS, SETTINGS, needs_reload

    defaults = Settings()
    for name, spec in SETTINGS.items():
        assert spec.doc.endswith((".", ")")), name
        if not spec.computed:  # every default passes its own validator
            value = getattr(defaults, name)
            assert spec.validate(list(value) if isinstance(value, tuple) else value) == value
    assert "context_size" in RELOAD_KEYS and "max_tokens" not in RELOAD_KEYS
    assert needs_reload(defaults, Settings(context_size=2048))
    assert not needs_reload(defaults, Settings(max_tokens=8))


@pytest.mark.filterwarnings("ignore::FutureWarning")  # re: "possible nested set" in "[["
def test_every_glob_the_setting_accepts_compiles_where_the_deny_list_uses_it() -> None:
    import itertools

    from lsp_server.validators import Globs, PartlyValid
    from lsp_server.workspace_files import FileRules, exclude_spec

    alphabet = "!*/[]\\a#?-^ .A"
    patterns = ["".join(p) for n in range(1, 4) for p in itertools.product(alphabet, repeat=n)]
    accepted: list[str] = []
    for pattern in patterns:
        try:
            accepted.extend(Globs()([pattern]))
        except PartlyValid:
            continue
    assert "!" not in accepted and "\\" not in accepted and "a*" in accepted
    for pattern in accepted:
        exclude_spec((pattern,)).match_file("a/b.py")
        FileRules(["/tmp"], (pattern,))
