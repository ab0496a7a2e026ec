"""Every client against the one contract (editors/contract.schema.json): the Neovim plugin in
headless Neovim 0.11 and 0.12 over sample payloads made from the schema. (The VS Code extension's
side is src/test/contract.test.ts, run by test_vscode.py, plus its types, generated from the
schema at build time; the server's side is test_contract_server.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from tests.editors import contract
from tests.editors.conftest import run_nvim


def test_the_schema_is_valid_and_describes_every_state() -> None:
    jsonschema.Draft7Validator.check_schema(contract.schema())
    state = contract.schema()["definitions"]["State"]
    assert sorted(state["x-states"]) == sorted(state["enum"])
    assert set(contract.states().values()) <= {"normal", "warning", "error"}
    # the samples are what the schema allows, and cover every state
    samples = contract.samples()
    for sample in samples["statuses"]:
        assert contract.errors("Status", sample) == [], sample
    assert {s["state"] for s in samples["statuses"]} == set(state["enum"])
    for action in samples["fixActions"]:
        assert contract.errors("FixAction", action) == [], action
    for action in samples["otherActions"]:
        assert contract.errors("FixAction", action) != [], action


def test_the_schema_rejects_what_the_clients_could_not_show() -> None:
    status = contract.full(contract.definition("Status"))
    assert contract.errors("Status", status) == []
    assert contract.errors("Status", {**status, "state": "paused"})  # a state nobody knows
    assert contract.errors("Status", {**status, "surprise": 1})  # a field nobody declared
    del status["message"]
    assert contract.errors("Status", status)


def _shown_as(state: str, text: str) -> bool:
    if state == "ready":
        return re.fullmatch(r"hearth (ready|\d+ms)", text) is not None
    return text == f"hearth {'not loaded' if state == 'unloaded' else state}" + (
        "…" if state == "loading" else "")


def test_nvim_client_accepts_every_state_and_field(nvim: Path, tiny_model: Path,
                                                   tmp_path: Path, monkeypatch: Any) -> None:
    samples = contract.samples()
    file = tmp_path / "samples.json"
    file.write_text(json.dumps(samples, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("HEARTH_CONTRACT_SAMPLES", str(file))
    run = run_nvim(nvim, "contract", tiny_model, tmp_path)
    assert run.ok, run.report
    facts = run.facts
    # the plugin knows every state, and shows it as loudly as the contract says
    assert facts["states"] == contract.states()
    assert len(facts["shown"]) == 2 * len(samples["statuses"])
    for shown in facts["shown"]:
        state = shown["state"]
        assert _shown_as(state, shown["text"]), shown
        assert shown["first"].startswith(f"hearth: {state}"), shown
        if state in ("error", "unavailable") and shown["message"]:
            assert shown["first"].endswith(shown["message"]), shown  # the reason is shown
    # hearth's fixes by kind and data, whatever their titles
    assert facts["fixes"] == [True] * len(samples["fixActions"])
    assert facts["others"] == [False] * len(samples["otherActions"])
    # and what it sends is what the server takes
    for arguments in facts["explain"]:
        assert contract.errors("ExplainArguments", arguments) == [], arguments
