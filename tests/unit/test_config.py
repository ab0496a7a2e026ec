"""Settings parsing: camelCase or snake_case, nested or flat, bad values reported by key."""

from __future__ import annotations

from pathlib import Path

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
