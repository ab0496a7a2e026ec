"""The VS Code extension's contributed settings and the README's table are what the settings'
declarations (lsp_server/config.py) say: every server setting can be set from the Settings
editor, with the server's default, type, limits and allowed values, and a workspace cannot
choose what only the user may."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from typing import Any

import pytest

from lsp_server.config import FIELD_NAMES, SETTINGS, Settings, camel, merge
from scripts import settings_docs
from tests.conftest import ROOT

PACKAGE = json.loads((ROOT / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
PROPERTIES: dict[str, dict[str, Any]] = PACKAGE["contributes"]["configuration"]["properties"]
SETTINGS_TS = (ROOT / "editors" / "vscode" / "src" / "settings.ts").read_text(encoding="utf-8")
CLIENT_ONLY = set(settings_docs.CLIENT_SETTINGS)
SERVER_PROPERTIES = {key.removeprefix("hearth."): value for key, value in PROPERTIES.items()
                     if key.removeprefix("hearth.") not in CLIENT_ONLY}
DYNAMIC_DEFAULTS = {name for name, spec in SETTINGS.items() if spec.computed}
# set by the extension itself, not by users (CLIENT_MANAGED in src/settings.ts)
CLIENT_MANAGED = {name for name, spec in SETTINGS.items() if not spec.contributed}
SETTABLE = tuple(name for name in FIELD_NAMES if name not in CLIENT_MANAGED)


def test_package_json_and_the_readme_table_are_written_from_the_declarations() -> None:
    for path, text in settings_docs.expected().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} differs from lsp_server/config.py:"
            " run `python -m scripts.settings_docs`")


def test_a_file_that_drifts_from_the_declarations_is_caught() -> None:
    drifted = copy.deepcopy(PACKAGE)
    drifted["contributes"]["configuration"]["properties"]["hearth.maxTokens"]["default"] = 65
    assert settings_docs.render_package_json(settings_docs.package_json(drifted)) == \
        settings_docs.render_package_json(PACKAGE)  # written again from the declarations
    assert settings_docs.render_package_json(drifted) != settings_docs.render_package_json(PACKAGE)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    edited = readme.replace("| `maxTokens` | 64 |", "| `maxTokens` | 65 |")
    assert edited != readme and settings_docs.readme(edited) == readme


def test_the_extension_and_the_script_agree_on_the_extensions_own_settings() -> None:
    match = re.search(r"CLIENT_ONLY[^=]*= new Set\(\[([^\]]*)\]\)", SETTINGS_TS)
    assert match, "CLIENT_ONLY not found in src/settings.ts"
    assert set(re.findall(r'"([^"]+)"', match.group(1))) == CLIENT_ONLY
    managed = re.search(r"CLIENT_MANAGED[^=]*= \{([^}]*)\}", SETTINGS_TS)
    assert managed and {camel(n) for n in CLIENT_MANAGED} == set(
        re.findall(r"(\w+):", managed.group(1)))


def test_what_runs_and_where_code_goes_are_user_settings_only() -> None:
    user_only = {key for key, prop in PROPERTIES.items() if prop["scope"] == "machine"}
    assert {"hearth.launch.command", "hearth.launch.python", "hearth.modelPath",
            "hearth.serverUrl", "hearth.apiKeyEnv", "hearth.caBundle", "hearth.promptsDir",
            "hearth.modelSha256", "hearth.riskySuggestions"} <= user_only
    assert all(prop["scope"] in ("machine", "window") for prop in PROPERTIES.values())
    restricted = PACKAGE["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"]
    assert set(restricted) == user_only - {"hearth.launch.command", "hearth.launch.python"}


def test_reloads_are_declared_for_every_setting_the_loaded_model_depends_on() -> None:
    reloads = {name for name, spec in SETTINGS.items() if spec.reload}
    assert {"model_path", "engine", "threads", "context_size", "prompts_dir",
            "completion_template", "server_url", "model_sha256"} <= reloads
    assert not reloads & {"max_tokens", "inline_completion", "exclude", "log_level"}


def test_every_server_setting_is_contributed_and_nothing_else() -> None:
    assert CLIENT_MANAGED.issubset(FIELD_NAMES)
    assert sorted(SERVER_PROPERTIES) == sorted(camel(name) for name in SETTABLE)
    assert all(key.startswith("hearth.") for key in PROPERTIES)


@pytest.mark.parametrize("name", SETTABLE)
def test_default_and_type_match_the_server(name: str) -> None:
    prop = SERVER_PROPERTIES[camel(name)]
    default = getattr(Settings(), name)
    field_type = next(f.type for f in dataclasses.fields(Settings) if f.name == name)
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    expected = {"bool": "boolean", "int": "integer", "str": "string"}.get(type(default).__name__,
                                                                          "array")
    assert expected in types, (name, field_type, prop["type"])
    if name in DYNAMIC_DEFAULTS:
        assert prop["default"] is None and "null" in types  # unset: the server decides
    else:
        assert prop["default"] == (list(default) if isinstance(default, tuple) else default)
        # the default itself is valid for the server
        assert merge(Settings(), {camel(name): prop["default"]})[1] == []


@pytest.mark.parametrize("name", [n for n in FIELD_NAMES
                                  if "enum" in PROPERTIES.get(f"hearth.{camel(n)}", {})])
def test_enums_are_exactly_what_the_server_accepts(name: str) -> None:
    prop = SERVER_PROPERTIES[camel(name)]
    for value in prop["enum"]:
        assert merge(Settings(), {camel(name): value})[1] == [], value
    assert merge(Settings(), {camel(name): "not-a-choice"})[1] != []
    # and no value the server accepts is missing from the menu
    error = merge(Settings(), {camel(name): "not-a-choice"})[1][0]
    listed = error.split("must be one of ", 1)[1].split(", got", 1)[0].split(", ")
    assert sorted(listed) == sorted(prop["enum"])


@pytest.mark.parametrize("name", [n for n in FIELD_NAMES
                                  if "minimum" in PROPERTIES.get(f"hearth.{camel(n)}", {})])
def test_minimums_are_the_servers(name: str) -> None:
    low = SERVER_PROPERTIES[camel(name)]["minimum"]
    assert merge(Settings(), {camel(name): low})[1] == []
    assert merge(Settings(), {camel(name): low - 1})[1] != []
