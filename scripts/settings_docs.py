"""Writes what editors and readers see of the settings from their one declaration
(lsp_server/config.py): the VS Code extension's ``contributes.configuration`` and
``restrictedConfigurations`` in editors/vscode/package.json, and the README's settings table.

    python -m scripts.settings_docs          # rewrite both
    python -m scripts.settings_docs --check  # exit 1 if either differs (tests do this too)
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from pathlib import Path
from typing import Any

from lsp_server.config import SETTINGS, Setting, Settings, camel

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_JSON = ROOT / "editors" / "vscode" / "package.json"
README = ROOT / "README.md"
TABLE_BEGIN = ("<!-- settings table: written by scripts/settings_docs.py"
               " from lsp_server/config.py -->")
TABLE_END = "<!-- end of the settings table -->"
USER_ONLY_SCOPE = "machine"  # user (or remote machine) settings only, never a workspace's
WORKSPACE_SCOPE = "window"

# The VS Code extension's own settings (src/settings.ts CLIENT_ONLY): they start the server or
# trace it, so the server never sees them.
CLIENT_SETTINGS: dict[str, dict[str, Any]] = {
    "launch.command": {
        "type": "array",
        "default": [],
        "markdownDescription": "How to start the language server, as a command and its"
        " arguments, e.g. `[\"/opt/hearth/bin/hearth-lsp\", \"serve\"]`. Empty:"
        " `hearth.launch.python` if set, else `hearth-lsp` from `PATH`, else the `.venv` of the"
        " checkout the extension was built from.",
        "items": {"type": "string"},
        "scope": USER_ONLY_SCOPE,
    },
    "launch.python": {
        "type": "string",
        "default": "",
        "markdownDescription": "A Python interpreter with hearth-lsp installed; the server runs"
        " as `python -m lsp_server serve`. Used when `hearth.launch.command` is empty.",
        "scope": USER_ONLY_SCOPE,
    },
    "trace.server": {
        "type": "string",
        "default": "off",
        "markdownDescription": "Log the LSP messages between VS Code and the server (in the"
        " *hearth* output channel).",
        "enum": ["off", "messages", "verbose"],
        "scope": WORKSPACE_SCOPE,
    },
}


def json_type(name: str) -> str:
    """The JSON schema type of a setting, from its annotation."""
    hint = typing.get_type_hints(Settings)[name]
    origin = typing.get_origin(hint)
    if hint is bool:
        return "boolean"
    if hint is int:
        return "integer"
    if hint is str or origin is typing.Literal:
        return "string"
    if origin is tuple:
        return "array"
    raise TypeError(f"no JSON type for {name}: {hint}")


def contribution(name: str, spec: Setting) -> dict[str, Any]:
    """One setting as VS Code's settings UI offers it."""
    kind = json_type(name)
    default = getattr(Settings(), name)
    prop: dict[str, Any] = {
        "type": [kind, "null"] if spec.computed else kind,
        "default": None if spec.computed else list(default) if kind == "array" else default,
        "markdownDescription": spec.doc + (f" Empty: {spec.shown_default}."
                                           if spec.shown_default else ""),
    }
    if kind == "array":
        prop["items"] = {"type": "string"}
    prop.update(spec.validate.schema())
    prop["scope"] = WORKSPACE_SCOPE if spec.workspace else USER_ONLY_SCOPE
    return prop


def configuration() -> dict[str, dict[str, Any]]:
    """``contributes.configuration.properties``: the extension's own settings, then the
    server's in the order they are declared."""
    properties: dict[str, dict[str, Any]] = {}
    for order, (key, prop) in enumerate(CLIENT_SETTINGS.items()):
        if key.startswith("launch."):
            properties[f"hearth.{key}"] = {**prop, "order": order}
    for order, (name, spec) in enumerate(SETTINGS.items(), start=10):
        if spec.contributed:
            properties[f"hearth.{camel(name)}"] = {**contribution(name, spec), "order": order}
    for key, prop in CLIENT_SETTINGS.items():
        if not key.startswith("launch."):
            properties[f"hearth.{key}"] = {**prop, "order": 100}
    return properties


def user_only() -> list[str]:
    """Settings a workspace must not choose (also listed as restricted in untrusted ones)."""
    return [f"hearth.{camel(name)}" for name, spec in SETTINGS.items() if not spec.workspace]


def package_json(current: dict[str, Any]) -> dict[str, Any]:
    package: dict[str, Any] = json.loads(json.dumps(current))  # a copy
    package["contributes"]["configuration"]["properties"] = configuration()
    package["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"] = user_only()
    return package


def _shown_default(name: str, spec: Setting) -> str:
    if spec.shown_default:
        return spec.shown_default
    value = getattr(Settings(), name)
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return "`[]`" if not value else f"`{json.dumps(list(value))}`"
    if isinstance(value, str):
        return f"`{value}`" if value else ""
    return str(value)


def readme_table() -> str:
    rows = ["| key | default | reloads the model | a workspace may set it | what it does |",
            "|---|---|---|---|---|"]
    for name, spec in SETTINGS.items():
        doc = spec.doc.replace("|", "\\|")
        rows.append(f"| `{camel(name)}` | {_shown_default(name, spec)} |"
                    f" {'yes' if spec.reload else ''} | {'yes' if spec.workspace else 'no'} |"
                    f" {doc} |")
    return "\n".join(rows)


def readme(current: str) -> str:
    head, begin, rest = current.partition(TABLE_BEGIN)
    _old, end, tail = rest.partition(TABLE_END)
    if not begin or not end:
        raise SystemExit(f"README.md lacks the settings table's markers ({TABLE_BEGIN})")
    return f"{head}{TABLE_BEGIN}\n{readme_table()}\n{TABLE_END}{tail}"


def render_package_json(package: dict[str, Any]) -> str:
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def expected() -> dict[Path, str]:
    """Each generated file's whole text as it should be."""
    package = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    return {PACKAGE_JSON: render_package_json(package_json(package)),
            README: readme(README.read_text(encoding="utf-8"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only check; exit 1 if a file differs from the declarations")
    args = parser.parse_args(argv)
    stale = [path for path, text in expected().items()
             if path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} differs from the settings in lsp_server/config.py;"
                  " run `python -m scripts.settings_docs`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in expected().items():
        if path in stale:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
