"""The VS Code extension's contributed settings match the server's Settings: every server setting
can be set from the Settings editor, with the server's default, type and allowed values."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from lsp_server.config import FIELD_NAMES, Settings, camel, merge
from tests.conftest import ROOT

PACKAGE = json.loads((ROOT / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
PROPERTIES: dict[str, dict[str, Any]] = PACKAGE["contributes"]["configuration"]["properties"]
CLIENT_ONLY = {"launch.command", "launch.python", "trace.server"}  # as in src/settings.ts
SERVER_PROPERTIES = {key.removeprefix("hearth."): value for key, value in PROPERTIES.items()
                     if key.removeprefix("hearth.") not in CLIENT_ONLY}
DYNAMIC_DEFAULTS = {"threads"}  # computed from the machine's cores
# set by the extension itself, not by users (CLIENT_MANAGED in src/settings.ts)
CLIENT_MANAGED = {"explain_show_message"}
SETTABLE = tuple(name for name in FIELD_NAMES if name not in CLIENT_MANAGED)


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
