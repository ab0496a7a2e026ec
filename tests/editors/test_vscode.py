"""The VS Code extension: type-checks with tsc, passes its node --test suites (unit tests and the
protocol test that drives the real server through vscode-languageclient's protocol library), and
packages into a VSIX offline."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, server_env

EXTENSION = ROOT / "editors" / "vscode"


def npm(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("npm")
    assert executable, "npm is not installed (Node 20 and npm are needed for the VS Code extension)"
    return subprocess.run(
        [executable, *args], cwd=EXTENSION, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
        # nothing may come from the registry while testing
        env=server_env(npm_config_offline="true", npm_config_update_notifier="false", **env))


@pytest.fixture(scope="module")
def compiled() -> subprocess.CompletedProcess[str]:
    assert (EXTENSION / "node_modules" / "vscode-languageclient").is_dir(), (
        "editors/vscode/node_modules is missing: `make install` runs npm ci there")
    return npm("run", "compile")


def test_vscode_extension_compiles_with_tsc(compiled: subprocess.CompletedProcess[str]) -> None:
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert "error TS" not in compiled.stdout + compiled.stderr
    assert (EXTENSION / "out" / "extension.js").is_file()


def test_vscode_extension_unit_and_protocol_tests(
        compiled: subprocess.CompletedProcess[str], tiny_model: Path, tmp_path: Path) -> None:
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    node = shutil.which("node")
    assert node, "node is not installed"
    proc = subprocess.run(
        [node, "--test", "out/test/"], cwd=EXTENSION, capture_output=True, text=True,
        timeout=300, stdin=subprocess.DEVNULL,
        env=server_env(HEARTH_TEST_MODEL=str(tiny_model), HEARTH_PYTHON=sys.executable,
                       XDG_CONFIG_HOME=str(tmp_path / "config")))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    counts = {key: int(value) for key, value in re.findall(r"^# (\w+) (\d+)$", output, re.M)}
    assert counts.get("fail") == 0 and counts.get("skipped") == 0, output[-3000:]
    assert counts.get("pass", 0) >= 25, counts
    assert "hearth-lsp through VS Code's protocol library" in output
    assert "every status the server may send is accepted and shown in its own way" in output


def test_vscode_extension_packages_into_a_vsix_offline(
        compiled: subprocess.CompletedProcess[str], tmp_path: Path) -> None:
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    vsix = tmp_path / "hearth-lsp.vsix"
    proc = npm("run", "package", "--", "--out", str(vsix))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = set(zipfile.ZipFile(vsix).namelist())
    for needed in ("extension/package.json", "extension/out/extension.js",
                   "extension/node_modules/vscode-languageclient/package.json"):
        assert needed in names, needed
    assert not any(name.startswith(("extension/src/", "extension/out/test/")) for name in names)
    assert not any("/typescript/" in name or "/@vscode/vsce" in name for name in names)
