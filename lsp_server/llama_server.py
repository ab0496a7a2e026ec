"""llama.cpp's own ``llama-server``, as built by ``make llama-server`` from the llama.cpp source
inside llama-cpp-python's sdist (the version hearth runs in-process).

This module finds the built binary and runs it; it never builds or downloads anything. The build
lives in ``$XDG_CACHE_HOME/hearth-lsp/llama-server/<sdist sha256>/`` with a ``build.json`` that
names the llama-cpp-python version it came from.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

BINARY = "llama-server"
BUILD_INFO = "build.json"
_LISTENING = re.compile(rb"listening on http://([^\s:]+|\[[^\]]+\]):(\d+)")


class LlamaServerError(RuntimeError):
    """The binary is missing, or the server did not start."""


def cache_root() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "hearth-lsp" / "llama-server"


def installed_llama_cpp_version() -> str:
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return ""


@dataclass(frozen=True)
class Build:
    binary: Path
    version: str  # of llama-cpp-python whose sdist it was built from
    sdist_sha256: str
    info: dict[str, Any] = field(default_factory=dict, compare=False)


def builds(root: Path | None = None) -> list[Build]:
    """Every usable build in the cache, newest first."""
    found: list[tuple[float, Build]] = []
    folder = root or cache_root()
    if not folder.is_dir():
        return []
    for entry in folder.iterdir():
        binary, info_file = entry / BINARY, entry / BUILD_INFO
        if not (binary.is_file() and os.access(binary, os.X_OK) and info_file.is_file()):
            continue
        try:
            info = json.loads(info_file.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(info, dict):
            continue
        build = Build(binary, str(info.get("llama_cpp_python", "")), entry.name, info)
        found.append((info_file.stat().st_mtime, build))
    return [build for _, build in sorted(found, key=lambda pair: pair[0], reverse=True)]


def find_binary(explicit: str = "") -> Path:
    """The llama-server to run: ``explicit`` if given, else the cached build of the installed
    llama-cpp-python version."""
    if explicit:
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LlamaServerError(f"--server-binary {path} is not an executable file")
        return path
    version = installed_llama_cpp_version()
    cached = builds()
    for build in cached:
        if build.version == version:
            return build.binary
    others = ", ".join(sorted({b.version for b in cached})) or "none"
    raise LlamaServerError(
        f"no llama-server built for llama-cpp-python {version or '(not installed)'} in"
        f" {cache_root()} (builds there: {others}); run `make llama-server` once (about 8"
        " minutes on 2 cores, no download besides the sdist from PyPI), or pass"
        " --server-binary")


def toolchain_missing() -> str:
    """Why llama-server cannot be built here, or "" if a C++ toolchain is present."""
    missing = [tool for tool, names in (("cmake", ("cmake",)),
                                        ("a C++ compiler", ("c++", "g++", "clang++")),
                                        ("make or ninja", ("ninja", "make")))
               if not any(shutil.which(name) for name in names)]
    return f"no {', '.join(missing)} on PATH" if missing else ""


class LlamaServerProcess:
    """One running llama-server: started with ``--port 0`` unless told, its port read from its
    log, ready once ``/health`` says so."""

    def __init__(self, binary: Path, model: Path, *, host: str = "127.0.0.1", port: int = 0,
                 slots: int = 1, context: int = 4096, threads: int = 1, batch: int = 512,
                 api_key: str = "", extra: tuple[str, ...] = (), log: Path | None = None,
                 metrics: bool = False, env: dict[str, str] | None = None) -> None:
        self.binary = binary
        self.model = model
        self.host = host
        self.port = port
        self.slots = slots
        self.context = context  # the whole KV cache; each slot gets context // slots
        self.threads = threads
        self.batch = batch
        self.api_key = api_key
        self.extra = extra
        self.log = log
        self.metrics = metrics
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.tail: deque[str] = deque(maxlen=40)  # the last lines of its log, for messages
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None

    def command(self) -> list[str]:
        command = [str(self.binary), "-m", str(self.model), "--host", self.host,
                   "--port", str(self.port), "-np", str(self.slots), "-t", str(self.threads),
                   "-tb", str(self.threads), "-c", str(self.context), "-b", str(self.batch),
                   "--no-webui", "--offline"]
        if self.metrics:
            command.append("--metrics")
        return command + list(self.extra)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise LlamaServerError("llama-server is not running")
        return self.process.pid

    def start(self, timeout: float = 60) -> LlamaServerProcess:
        env = {**os.environ, **self.env}
        env.pop("LLAMA_API_KEY", None)
        if self.api_key:
            env["LLAMA_API_KEY"] = self.api_key  # not on the command line, where ps shows it
        self._listening.clear()
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True)
        sink = self.log.open("ab") if self.log else None
        self._reader = threading.Thread(target=self._read_log, args=(self.process.stdout, sink),
                                        name="llama-server-log", daemon=True)
        self._reader.start()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                self._reader.join(2)
                raise LlamaServerError(
                    f"llama-server exited with {self.process.returncode}: {self.last_lines()}")
            if self._listening.is_set() and self.healthy():
                return self
            time.sleep(0.05)
        self.stop()
        raise LlamaServerError(f"llama-server did not become ready in {timeout:g} s:"
                               f" {self.last_lines()}")

    def _read_log(self, stream: IO[bytes] | None, sink: IO[bytes] | None) -> None:
        if stream is None:
            return
        try:
            for line in stream:
                if sink is not None:
                    sink.write(line)
                    sink.flush()
                self.tail.append(line.decode("utf-8", "replace").rstrip())
                found = _LISTENING.search(line)
                if found and not self._listening.is_set():
                    self.port = int(found.group(2))
                    self._listening.set()
        finally:
            if sink is not None:
                sink.close()

    def last_lines(self, n: int = 6) -> str:
        lines = [line for line in self.tail if line.strip()]
        return " | ".join(lines[-n:]) or "(no output)"

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as reply:
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def get(self, path: str) -> Any:
        request = urllib.request.Request(f"{self.url}{path}")
        if self.api_key:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())

    def wait(self) -> int:
        if self.process is None:
            return 0
        return self.process.wait()

    def stop(self, timeout: float = 10) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
        if self._reader is not None:
            self._reader.join(2)

    def __enter__(self) -> LlamaServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
