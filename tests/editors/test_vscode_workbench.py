"""The VS Code extension in a real workbench: the VSIX `make vsix` builds, installed into a fresh
code-server profile (VS Code 1.139 in Debian's Chromium, driven by playwright-core), against the
real server with the embedded model, checked as a person would see it. One code-server start
serves every check; tests/editors/workbench/drive.js does the clicking and typing.

Skips only when `make workbench` could not install the tools, and says which.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lsp_server.models import embedded_model_path
from tests.conftest import ROOT
from tests.editors.workbench import Tools, Workbench, build_vsix, find_tools
from tests.inference_servers import LlamaServer

FIX_SOURCE = ("def total(items):\n    result = 0\n    for item in items\n"
              "        result += item\n    return result\n")
FIX_LINE = 3  # the `for` without its colon: hearth's own syntax diagnostic
ARTIFACTS = ROOT / "build" / "workbench-test"  # screenshots and what the driver saw


@pytest.fixture(scope="module")
def tools() -> Tools:
    found = find_tools()
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture(scope="module")
def inference(tiny_model: Path) -> Iterator[LlamaServer]:
    """A team's inference server (llama-cpp-python's, on the tiny model) that the test stops
    and starts again."""
    server = LlamaServer(tiny_model).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def session(tools: Tools, inference: LlamaServer,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("workbench")
    vsix = build_vsix(root / "hearth-lsp.vsix")

    restarted: list[LlamaServer] = []

    def answer(name: str) -> str:
        if name == "stop-inference":
            inference.stop()
            return "ok"
        if name == "start-inference":
            restarted.append(LlamaServer(inference.model, port=inference.port).start())
            return "ok"
        return f"unknown request {name}"

    workbench = Workbench(
        tools, root, vsix,
        user={"hearth.threads": 1, "hearth.maxTokens": 24, "hearth.explainMaxTokens": 64,
              "hearth.logLevel": "info"},
        # code-server is a remote: machine-scoped settings live in its Machine settings
        machine={"hearth.launch.command": [sys.executable, "-m", "lsp_server", "serve"],
                 "hearth.modelPath": str(embedded_model_path()),
                 "hearth.serverUrl": inference.url},
        files={"add.py": "", "total.py": FIX_SOURCE}, artifacts=ARTIFACTS,
    )
    try:
        with workbench:
            result = workbench.drive({"mode": "test", "fixLine": FIX_LINE}, answer, timeout=900)
            result["extensionLog"] = workbench.extension_log()
            result["startupS"] = workbench.startup_s
            result["root"] = str(root)
            yield result
    finally:
        for server in restarted:
            server.stop()


def passed(session: dict[str, Any], step: str) -> None:
    """The step ran and did not fail (later steps need the earlier ones)."""
    failed_at = session["error"] or ""
    assert step in session["steps"], f"not reached: {failed_at}"
    assert not failed_at.startswith(step), (
        f"{failed_at}\nfacts: {session['facts']}\nscreenshots: {session['screenshots']}\n"
        f"output channel: {session['extensionLog'][-3000:]}")


def test_the_status_bar_goes_from_loading_to_ready(session: dict[str, Any]) -> None:
    passed(session, "the status bar goes loading → ready")
    history = session["facts"]["statusHistory"]
    assert history.index("hearth loading") < len(history) - 1, history


def test_typing_shows_ghost_text_and_tab_accepts_it(session: dict[str, Any]) -> None:
    passed(session, "typing shows ghost text, and Tab accepts it")
    facts = session["facts"]
    assert facts["beforeTab"] == "def add(a, b):\n    return"
    ghost = facts["ghost"].strip()
    assert facts["accepted"].startswith("def add(a, b):\n    return ")
    assert ghost.split("\n")[0] in facts["accepted"], facts


def test_the_light_bulb_fix_changes_the_document_and_one_undo_reverts_it(
        session: dict[str, Any]) -> None:
    passed(session, "the light bulb's Fix with hearth changes the document; one undo reverts it")
    facts = session["facts"]
    assert facts["fixTitle"].startswith("Fix with hearth"), facts["fixTitle"]
    assert facts["fixed"] != facts["fixOriginal"]
    assert facts["fixed"].splitlines()[FIX_LINE - 1] == "    for item in items:", facts["fixed"]
    assert facts["undone"] == facts["fixOriginal"]


def test_explain_shows_rendered_markdown_beside_the_editor(session: dict[str, Any]) -> None:
    passed(session, "hearth: Explain shows rendered Markdown beside the editor")
    page = session["facts"]["explanation"]
    assert "add.py" in page["title"], page
    assert {"p", "strong", "code", "ul", "ol", "em", "pre", "h2", "h3"} & set(page["tags"]), page
    assert "**" not in page["text"], page  # Markdown rendered, not shown raw


def test_a_setting_changed_in_settings_applies_without_a_restart(
        session: dict[str, Any]) -> None:
    passed(session, "a setting changed in Settings applies without a restart")
    assert session["facts"]["engineSetting"] == "http"
    starts = re.findall(r"starting .*hearth|starting .*lsp_server", session["extensionLog"])
    assert len(starts) == 1, starts  # the same server took the change


def test_the_status_bar_shows_an_inference_server_outage_and_the_recovery(
        session: dict[str, Any]) -> None:
    passed(session, "the status bar shows the inference server's outage, and ready again")
    outage = session["facts"]["outage"]
    assert outage["text"] == "hearth unavailable"
    assert "unavailable" in outage["label"] and "127\\.0\\.0\\.1" in outage["label"], outage
    assert session["facts"]["back"]["icon"] == "sparkle"


def test_server_log_lines_keep_their_levels_in_the_output_channel(
        session: dict[str, Any]) -> None:
    assert session["steps"], session["error"]
    log = session["extensionLog"]
    assert re.search(r"\[info\] lsp_server\.\w+: ", log), log[-3000:]
    # Python's own timestamp and level are not repeated, and INFO is not shown as an error
    assert not re.search(r"\[error\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO", log), log[-3000:]


def test_nothing_was_fetched_from_outside(session: dict[str, Any]) -> None:
    assert session["steps"], session["error"]
    assert session["facts"].get("blocked", []) == []
