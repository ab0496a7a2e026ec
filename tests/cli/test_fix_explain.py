"""``hearth-lsp fix`` and ``hearth-lsp explain`` run for real (a diff or Markdown on stdout)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import server_env

GREET = 'def greet(name):\n    print("Hello, " + name\n'


def hearth(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", *args, "--threads", "1"], capture_output=True,
        text=True, env=server_env(XDG_CONFIG_HOME=str(home / "config")), timeout=240,
        check=False)


def test_fix_prints_a_diff_with_the_embedded_model(tmp_path: Path) -> None:
    source = tmp_path / "greet.py"
    source.write_text(GREET)
    run = hearth(tmp_path, "fix", str(source), "--line", "2", "--message", '"(" was not closed')
    assert run.returncode == 0, run.stderr
    assert '-    print("Hello, " + name\n+    print("Hello, " + name)\n' in run.stdout
    assert run.stdout.startswith(f"--- a/{str(source).lstrip('/')}\n")
    assert "fix: 1 change in `greet`" in run.stderr
    assert source.read_text() == GREET  # printed, not applied


def test_no_fix_exits_1_and_says_why(tiny_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "greet.py"
    source.write_text(GREET)
    # The tiny model writes random characters: a rewrite is never a fix.
    run = hearth(tmp_path, "fix", str(source), "--line", "2", "--model", str(tiny_model),
                 "--method", "rewrite")
    assert run.returncode == 1
    assert run.stdout == ""
    assert "no fix: " in run.stderr


def test_explain_prints_markdown_in_the_asked_language(tiny_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "greet.py"
    source.write_text(GREET)
    run = hearth(tmp_path, "explain", str(source), "--line", "2", "--locale", "de",
                 "--model", str(tiny_model))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"**Erklärung: `greet` ({source} 1–2)**\n\nDiese Funktion")


def test_lines_outside_the_file_are_refused(tiny_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "greet.py"
    source.write_text(GREET)
    run = hearth(tmp_path, "fix", str(source), "--line", "40", "--model", str(tiny_model))
    assert run.returncode == 1
    assert "outside" in run.stderr
