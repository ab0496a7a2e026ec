"""The client contract (editors/contract.schema.json): validation, and sample payloads for the
clients' own checks.

Samples are made from the schema alone: for every state, one status with every field filled and
one with every nullable field null, then statuses that Hypothesis generates from the schema
(any text, huge numbers, zeros). Hearth's fix actions come with titles in several
languages, so a client that looks at the title instead of ``kind``/``data`` is caught.

    python -m tests.editors.contract samples          # JSON on stdout, for the clients' tests
    python -m tests.editors.contract validate NAME    # JSON list on stdin, each must be a NAME
"""

from __future__ import annotations

import copy
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "editors" / "contract.schema.json"
RANDOM_STATUSES = 40


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def definition(name: str) -> dict[str, Any]:
    """A schema for one definition, with the others beside it for its references."""
    return {"$ref": f"#/definitions/{name}", "definitions": schema()["definitions"]}


def errors(name: str, value: Any) -> list[str]:
    """Why ``value`` is not a valid ``name`` (empty when it is)."""
    validator = jsonschema.Draft7Validator(definition(name))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in validator.iter_errors(value)]


def states() -> dict[str, str]:
    """Every state the server may report, with how loudly clients show it."""
    state = schema()["definitions"]["State"]
    return {name: state["x-states"][name]["severity"] for name in state["enum"]}


def commands() -> list[str]:
    return sorted(schema()["properties"]["commands"]["properties"])


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema()["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def full(node: dict[str, Any], nulls: bool = False) -> Any:
    """A value of the schema with every property present: typical values, or null wherever
    null is allowed when ``nulls``."""
    node = _resolve(node)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    if "anyOf" in node:
        options = [_resolve(o) for o in node["anyOf"]]
        if nulls and any(o.get("type") == "null" for o in options):
            return None
        return full(next(o for o in options if o.get("type") != "null"), nulls)
    if "examples" in node:
        return copy.deepcopy(node["examples"][0])
    kind = node.get("type")
    if kind == "object":
        return {key: full(value, nulls) for key, value in node.get("properties", {}).items()}
    if kind == "array":
        items = node.get("items")
        if isinstance(items, list):
            return [full(item, nulls) for item in items]
        return [full(items, nulls)] if isinstance(items, dict) and node.get("maxItems") != 0 else []
    typical: dict[str, Any] = {"string": "text", "integer": 1, "number": 1.5, "boolean": True,
                               "null": None}
    return typical[str(kind)]


def strategy(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the schema (the subset this contract uses), every property present: the
    server always sends them all."""
    node = _resolve(node)
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "anyOf" in node:
        return st.one_of([strategy(option) for option in node["anyOf"]])
    kind = node.get("type")
    if kind == "object":
        return st.fixed_dictionaries({key: strategy(value)
                                      for key, value in node.get("properties", {}).items()})
    if kind == "string":
        return st.text(min_size=node.get("minLength", 0), max_size=80)
    if kind == "integer":
        return st.integers(min_value=node.get("minimum"), max_value=2**53)
    if kind == "number":
        return st.floats(min_value=node.get("minimum"), max_value=1e12, allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise ValueError(f"no strategy for {node}")


def random_statuses(count: int = RANDOM_STATUSES) -> list[dict[str, Any]]:
    """Statuses Hypothesis makes from the schema (the same ones on every run)."""
    found: list[dict[str, Any]] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy(definition("Status")))
    def collect(value: dict[str, Any]) -> None:
        found.append(value)

    collect()
    return found


def status_samples() -> list[dict[str, Any]]:
    samples = []
    for state in states():
        for nulls in (False, True):
            sample = full(definition("Status"), nulls)
            sample["state"] = state
            samples.append(sample)
    return samples + random_statuses()


def fix_actions() -> list[dict[str, Any]]:
    """hearth's fixes as the server may list them: the title is anything."""
    data = full(definition("FixData"))
    titles = ["Fix with hearth: \"reslt\" is not defined", "Fix bugs in this function",
              "hearth で修正: 未定義の名前", "Corriger avec hearth", "Repair"]
    actions = []
    for i, title in enumerate(titles):
        action = {"title": title, "kind": "quickfix", "data": {**data, "version": i}}
        if i % 2 == 0:
            action["diagnostics"] = [{"message": "m", "range": data["range"]}]
        actions.append(action)
    actions.append({"title": "Fix with hearth (for clients without resolve)", "kind": "quickfix",
                    "command": {"title": "Fix", "command": "hearth.fix", "arguments": [data]}})
    return actions


def other_actions() -> list[dict[str, Any]]:
    """Actions that are not hearth's fixes, whatever their titles say."""
    explain = full(definition("ExplainAction"))
    explain["title"] = "Fix nothing: explain with hearth"
    return [
        explain,
        {"title": "Fix all auto-fixable problems", "kind": "source.fixAll.eslint",
         "data": {"id": 3}},
        {"title": "Fix: add import", "kind": "quickfix", "data": {"fixId": "import"}},
        {"title": "Fix everything", "command": "other.fix"},
        {"title": "Fix it", "kind": "quickfix", "command": {"title": "x", "command": "other"}},
    ]


def samples() -> dict[str, Any]:
    return {"states": states(), "commands": commands(), "statuses": status_samples(),
            "fixActions": fix_actions(), "otherActions": other_actions()}


def main(argv: list[str]) -> int:
    if argv[:1] == ["samples"]:
        json.dump(samples(), sys.stdout, ensure_ascii=False)
        return 0
    if len(argv) == 2 and argv[0] == "validate":
        problems = [f"#{i}: {e}" for i, value in enumerate(json.load(sys.stdin))
                    for e in errors(argv[1], value)]
        print("\n".join(problems))
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
