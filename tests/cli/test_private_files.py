"""The one-shot commands refuse a file on the secrets deny list as the server does: by its name,
by the file a symbolic link makes it, and by ``exclude`` globs (relative to the current folder).
Every text given to the engine is traced (HEARTH_TRACE_PROMPTS)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, server_env

COMMANDS = {"complete": ["1", "12", "--invoked"], "fix": ["--line", "1"],
            "explain": ["--line", "1"]}


def hearth(cwd: Path, trace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", *args, "--threads", "1"], capture_output=True,
        text=True, cwd=cwd, timeout=240, check=False, env=server_env(
            XDG_CONFIG_HOME=str(cwd / "no-config"), PYTHONPATH=str(ROOT),
            HEARTH_TRACE_PROMPTS=str(trace)))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    (root / ".env").write_text('API_TOKEN = "SECRET-ENV-TOKEN"\n', encoding="utf-8")
    (root / "config" / "local.py").write_text('DB_PASSWORD = "SECRET-EXCLUDED"\n',
                                              encoding="utf-8")
    (root / "helpers.py").symlink_to(".env")
    (root / "settings.py").symlink_to(Path("config") / "local.py")
    (root / "hearth.toml").write_text('exclude = ["/config/*.py"]\n', encoding="utf-8")
    (root / "app.py").write_text('GREETING = "hello"\n', encoding="utf-8")
    return root


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_link_to_a_private_file_is_refused(command: str, project: Path, tiny_model: Path,
                                             tmp_path: Path) -> None:
    trace = tmp_path / "prompts.txt"
    for name in ("helpers.py", "settings.py", "config/local.py", ".env"):
        run = hearth(project, trace, command, name, *COMMANDS[command], "--model",
                     str(tiny_model), "--config", "hearth.toml")
        assert run.returncode == 1, (name, run.stdout, run.stderr)
        assert "secrets deny list" in run.stderr, (name, run.stderr)
        assert run.stdout == ""
    given = trace.read_text(encoding="utf-8") if trace.exists() else ""
    assert "SECRET" not in given, given

    # An ordinary file next to them is served (the check is not refusing everything).
    run = hearth(project, trace, command, "app.py", *COMMANDS[command], "--model",
                 str(tiny_model), "--config", "hearth.toml")
    assert "secrets deny list" not in run.stderr, run.stderr
    assert "GREETING" in trace.read_text(encoding="utf-8")  # the engine saw it
