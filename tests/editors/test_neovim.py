"""Headless Neovim with the plugin from editors/nvim, typing into real buffers, against the real
server over stdio with the tiny model. The Lua side of each test is tests/editors/nvim/<name>.lua.
"""

from __future__ import annotations

from pathlib import Path

from tests.editors.conftest import nvim_version, run_nvim


def test_nvim_011_completion_item_from_the_server(
        nvim_011: Path, tiny_model: Path, tmp_path: Path) -> None:
    run = run_nvim(nvim_011, "completion_011", tiny_model, tmp_path)
    assert run.ok, run.report
    assert run.facts["inline_capability"] is False  # 0.11 gets the menu item instead
    assert run.facts["item"]["kind"] == "Snippet"
    assert run.facts["statusline"].startswith("hearth ")


def test_nvim_012_ghost_text_is_shown_and_accepted(
        nvim_012: Path, tiny_model: Path, tmp_path: Path) -> None:
    run = run_nvim(nvim_012, "inline_012", tiny_model, tmp_path)
    assert run.ok, run.report
    assert run.facts["inline_capability"] is True
    # started from the checkout's virtualenv (or PATH), as the README promises
    assert run.facts["cmd"][0].endswith("hearth-lsp"), run.facts["cmd"]
    assert run.facts["accepted_line"].startswith("    return ")


def test_nvim_explain_opens_a_markdown_float(nvim: Path, tiny_model: Path,
                                             tmp_path: Path) -> None:
    run = run_nvim(nvim, "explain", tiny_model, tmp_path)
    assert run.ok, run.report
    assert run.facts["explanation"][0].startswith("**"), run.facts["explanation"]  # the title


def test_nvim_quick_fix_is_applied(nvim: Path, embedded_model: Path, tmp_path: Path) -> None:
    # the embedded Gemma: the tiny model's random text never passes the fix's syntax check
    run = run_nvim(nvim, "fix", embedded_model, tmp_path)
    assert run.ok, run.report
    assert run.facts["lines"][-1] == "    return result"


def test_nvim_checkhealth_reports_server_model_and_features(
        nvim: Path, tiny_model: Path, tmp_path: Path) -> None:
    run = run_nvim(nvim, "health", tiny_model, tmp_path)
    assert run.ok, run.report
    report = run.facts["report"]
    version = nvim_version(nvim).split()[1].lstrip("v")
    for expected in (f"OK Neovim {version}", "OK server command: ", "OK version: hearth-lsp ",
                     "hearth: ready", "model     hearth tiny test model", "engine    llama_cpp"):
        assert expected in report, (expected, report)
    ghost = "OK ghost text as you type"
    assert (ghost in report) is version.startswith("0.12"), report
    assert "ERROR" not in report, report
