"""Inference servers for the HTTP engine's tests.

``LlamaCppServer`` runs llama.cpp's own ``llama-server`` (built by ``make llama-server`` from the
llama.cpp inside llama-cpp-python's sdist), the server a team runs. ``LlamaServer`` runs
llama-cpp-python's OpenAI-compatible server, another real one. ``StubServer`` plays the parts no
real server will play on demand: one that is silent, slow, or answers garbage.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lsp_server.llama_server import (
    LlamaServerError,
    LlamaServerProcess,
    find_binary,
    toolchain_missing,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LlamaServer:
    """``python -m llama_cpp.server`` on 127.0.0.1, started and stopped by the test."""

    def __init__(self, model: Path, *, port: int | None = None, n_ctx: int = 2048,
                 api_key: str | None = None, cert: tuple[Path, Path] | None = None,
                 log: Path | None = None) -> None:
        self.model = model
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.api_key = api_key
        self.cert = cert
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.cert else 'http'}://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60) -> LlamaServer:
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model),
                   "--host", "127.0.0.1", "--port", str(self.port), "--n_threads", "1",
                   "--n_threads_batch", "1",
                   "--n_ctx", str(self.n_ctx)]
        if self.api_key:
            command += ["--api_key", self.api_key]
        if self.cert:
            command += ["--ssl_certfile", str(self.cert[0]), "--ssl_keyfile", str(self.cert[1])]
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self.process.returncode}")
            if _port_open(self.port) and self._answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("llama_cpp.server did not start")

    def _answers(self) -> bool:
        if self.cert:
            return True  # the port is open; TLS clients are the tests' business
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        request = urllib.request.Request(f"{self.url}/v1/models", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the tests observe -------------------------------------------------------------
    def established_connections(self) -> int:
        """Client connections the server holds open (from /proc/net/tcp*, state ESTABLISHED)."""
        return established_on(self.port)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def wait_idle(self, window: float = 0.5, max_cpu: float = 0.2, timeout: float = 10) -> float:
        """Wait until the server burns less than ``max_cpu`` seconds of CPU in ``window``
        seconds; return the CPU it used in the last window."""
        end = time.monotonic() + timeout
        while True:
            before = self.cpu_seconds()
            time.sleep(window)
            used = self.cpu_seconds() - before
            if used < max_cpu or time.monotonic() > end:
                return used


def llama_server_binary() -> Path:
    """The built llama-server; skips the test only where no C++ toolchain can build it."""
    try:
        return find_binary(os.environ.get("HEARTH_LLAMA_SERVER", ""))
    except LlamaServerError as exc:
        missing = toolchain_missing()
        if missing:
            pytest.skip(f"llama-server cannot be built here ({missing})")
        pytest.fail(f"{exc} (`make test` builds it first)")


class LlamaCppServer(LlamaServerProcess):
    """llama.cpp's llama-server on 127.0.0.1, with what the tests observe of it."""

    def __init__(self, model: Path, *, port: int = 0, context: int = 4096, slots: int = 1,
                 api_key: str = "", log: Path | None = None, extra: tuple[str, ...] = ()
                 ) -> None:
        # The slots' debug mode makes /slots show each slot's last prompt as the server built
        # it, which is how the tests see what /infill laid out.
        super().__init__(llama_server_binary(), model, port=port, context=context, slots=slots,
                         api_key=api_key, log=log, extra=extra,
                         env={"LLAMA_SERVER_SLOTS_DEBUG": "1"})

    def __enter__(self) -> LlamaCppServer:
        self.start()
        return self

    def established_connections(self) -> int:
        return established_on(self.port)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def slots_busy(self) -> list[bool]:
        return [bool(slot.get("is_processing")) for slot in self.get("/slots")]

    def wait_slots_idle(self, timeout: float = 5) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not any(self.slots_busy()):
                return True
            time.sleep(0.02)
        return False


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def established_on(port: int) -> int:
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":
                    count += 1
    return count


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (openssl)."""
    cert, key = folder / "server.pem", folder / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hearth test server",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)
    return cert, key


# -- a scripted server for the parts real servers do not play on demand ----------------------
Handler = Callable[["StubRequest"], None]


@dataclass
class StubRequest:
    method: str
    path: str
    body: dict[str, Any]
    handler: BaseHTTPRequestHandler

    def json(self, value: Any, status: int = 200) -> None:
        data = json.dumps(value).encode()
        self.raw(data, status, "application/json")

    def raw(self, data: bytes, status: int = 200, content_type: str = "text/plain") -> None:
        h = self.handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def events(self, chunks: Iterator[dict[str, Any] | str], pause: float = 0.0) -> None:
        """A server-sent event stream (chunked); a str chunk is sent as is."""
        h = self.handler
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        try:
            for chunk in chunks:
                text = chunk if isinstance(chunk, str) else f"data: {json.dumps(chunk)}\n\n"
                data = text.encode()
                h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                h.wfile.flush()
                if pause:
                    time.sleep(pause)
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client closed the stream


@dataclass
class StubServer:
    """``routes`` maps "METHOD /path" to a handler; others answer 404."""

    routes: dict[str, Handler] = field(default_factory=dict)
    received: list[StubRequest] = field(default_factory=list)
    disconnects: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        stub = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except json.JSONDecodeError:
                    body = {}
                request = StubRequest(self.command, self.path, body, self)
                stub.received.append(request)
                route = stub.routes.get(f"{self.command} {self.path}")
                if route is None:
                    request.json({"error": {"message": "Not Found"}}, 404)
                    return
                route(request)

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def paths(self) -> list[str]:
        return [r.path for r in self.received]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def openai_models(model: str = "stub-model") -> Handler:
    return lambda r: r.json({"object": "list", "data": [{"id": model, "object": "model"}]})


def completion_chunks(pieces: list[str], finish: str = "stop") -> Iterator[dict[str, Any]]:
    for piece in pieces:
        yield {"object": "text_completion", "choices": [{"text": piece, "finish_reason": None}]}
    yield {"object": "text_completion", "choices": [{"text": "", "finish_reason": finish}]}
