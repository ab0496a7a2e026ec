"""VS Code in a real workbench: code-server (VS Code in a browser) with hearth's VSIX installed
into a fresh profile, in Debian's Chromium driven by playwright-core
(tests/editors/workbench/drive.js). Used by the workbench test and by the editor latency
benchmark (scripts/bench_editors.py).

The tools come from ``make workbench`` (tests/editors/workbench/install.sh), which puts them in
``${XDG_CACHE_HOME:-~/.cache}/hearth-lsp/workbench``; nothing is downloaded here. Everything a
run writes (profile, settings, logs, screenshots) stays in its own folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, server_env
from tests.inference_servers import free_port

HERE = Path(__file__).resolve().parent / "workbench"
DRIVER = HERE / "drive.js"
EXTENSION = ROOT / "editors" / "vscode"
# what the workbench itself must not do: reach for updates, telemetry, the marketplace, chat
QUIET_SETTINGS: dict[str, Any] = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "extensions.ignoreRecommendations": True,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": True,
    "git.enabled": False,
    "workbench.enableExperiments": False,
    "editor.minimap.enabled": False,
}


def tools_home() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "hearth-lsp" / "workbench"


@dataclass(frozen=True)
class Tools:
    node: Path
    code_server: Path
    node_modules: Path
    chromium: Path


def find_tools(home: Path | None = None) -> Tools | str:
    """The installed tools, or a sentence saying which are missing and why."""
    home = home or tools_home()
    missing_file = home / "missing"
    if missing_file.is_file():
        return ("`make workbench` could not install the VS Code workbench tools: "
                + "; ".join(missing_file.read_text().split("\n")).strip("; "))
    node = next(iter(sorted((home / "node" / "node_modules").glob("node-linux-*/bin/node"))), None)
    tools = home / "tools" / "node_modules"
    chromium = shutil.which("chromium")
    absent = [name for name, path in (
        ("Node 24", node), ("code-server", tools / "code-server" / "out" / "node" / "entry.js"),
        ("playwright-core", tools / "playwright-core" / "package.json"), ("chromium", chromium),
    ) if path is None or not Path(path).exists()]
    if absent or node is None or chromium is None:
        return (f"not installed: {', '.join(absent)} (`make workbench` installs them into {home})")
    return Tools(node=node, code_server=tools / "code-server" / "out" / "node" / "entry.js",
                 node_modules=tools, chromium=Path(chromium))


def build_vsix(dest: Path) -> Path:
    """The VSIX `make vsix` builds (compiled and packaged offline), written to ``dest``."""
    npm = shutil.which("npm")
    assert npm, "npm is needed to build the VSIX"
    env = server_env(npm_config_offline="true", npm_config_update_notifier="false")
    for args in (["run", "compile"], ["run", "package", "--", "--out", str(dest)]):
        proc = subprocess.run([npm, *args], cwd=EXTENSION, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return dest


class Workbench:
    """code-server with a fresh profile in ``root``; ``start`` it, ``drive`` it, ``stop`` it."""

    def __init__(self, tools: Tools, root: Path, vsix: Path, *, user: dict[str, Any],
                 machine: dict[str, Any], files: dict[str, str], artifacts: Path) -> None:
        self.tools = tools
        self.root = root
        self.artifacts = artifacts  # what the driver saw: result.json, screenshots
        self.vsix = vsix
        self.workspace = root / "ws"
        self.user_data = root / "ud"
        self.extensions = root / "ext"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.user = {**QUIET_SETTINGS, **user}
        self.machine = machine
        self.files = files
        self.startup_s = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?folder={self.workspace}"

    def _env(self) -> dict[str, str]:
        return server_env(
            PATH=f"{self.tools.node.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            XDG_CONFIG_HOME=str(self.root / "xdg" / "config"),
            XDG_DATA_HOME=str(self.root / "xdg" / "data"),
            XDG_CACHE_HOME=str(self.root / "xdg" / "cache"),
            XDG_STATE_HOME=str(self.root / "xdg" / "state"),
            # no extension gallery: nothing to query, nothing to update from
            EXTENSIONS_GALLERY="{}",
        )

    def _code_server(self, *args: str) -> list[str]:
        return [str(self.tools.node), str(self.tools.code_server),
                "--extensions-dir", str(self.extensions), "--user-data-dir", str(self.user_data),
                *args]

    def start(self, timeout: float = 60) -> Workbench:
        started = time.monotonic()
        self.workspace.mkdir(parents=True)
        for name, text in self.files.items():
            (self.workspace / name).write_text(text, encoding="utf-8")
        for scope, settings in (("User", self.user), ("Machine", self.machine)):
            folder = self.user_data / scope
            folder.mkdir(parents=True)
            (folder / "settings.json").write_text(json.dumps(settings, indent=1))
        installed = subprocess.run(
            self._code_server("--install-extension", str(self.vsix)), env=self._env(),
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert installed.returncode == 0, installed.stdout + installed.stderr
        log = (self.root / "code-server.log").open("wb")
        self.process = subprocess.Popen(
            self._code_server("--auth", "none", "--bind-addr", f"127.0.0.1:{self.port}",
                              "--disable-telemetry", "--disable-update-check",
                              "--disable-workspace-trust", "--disable-getting-started-override",
                              str(self.workspace)),
            env=self._env(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)  # its own process group: hearth-lsp goes with it
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"code-server exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    self.startup_s = time.monotonic() - started
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"code-server did not answer: {self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        log = self.root / "code-server.log"
        return log.read_text(errors="replace")[-chars:] if log.is_file() else ""

    def extension_log(self) -> str:
        """hearth's output channel, as VS Code wrote it."""
        logs = sorted(self.user_data.glob("logs/*/exthost*/hearth.hearth-lsp/hearth.log"))
        return "\n".join(p.read_text(errors="replace") for p in logs)

    def drive(self, config: dict[str, Any], on_request: Callable[[str], str] | None = None,
              timeout: float = 600) -> dict[str, Any]:
        """Run drive.js with ``config``; it may ask for things on stdout ("@name" lines) and
        gets ``on_request(name)``'s answer on stdin. Returns its JSON result."""
        out = self.artifacts
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        config = {**config, "url": self.url, "workspace": str(self.workspace),
                  "chromium": str(self.tools.chromium), "out": str(out),
                  "playwright": str(self.tools.node_modules / "playwright-core")}
        (out / "config.json").write_text(json.dumps(config))
        proc = subprocess.Popen([str(self.tools.node), str(DRIVER), str(out / "config.json")],
                                env=self._env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=(out / "stderr.log").open("wb"), text=True)
        assert proc.stdin is not None and proc.stdout is not None
        deadline = time.monotonic() + timeout
        try:
            for line in proc.stdout:
                if line.startswith("@"):
                    answer = on_request(line[1:].strip()) if on_request else "unknown"
                    proc.stdin.write(answer + "\n")
                    proc.stdin.flush()
                if time.monotonic() > deadline:
                    break
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        result_file = out / "result.json"
        result: dict[str, Any] = (json.loads(result_file.read_text()) if result_file.is_file()
                                  else {"ok": False, "error": f"driver exit {proc.returncode}: "
                                        + (out / "stderr.log").read_text()[-3000:]})
        return result

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def __enter__(self) -> Workbench:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
