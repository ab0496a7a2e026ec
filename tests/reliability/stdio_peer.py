"""A raw JSON-RPC peer over the server's stdio: sends any bytes, framed as LSP messages, so tests
can feed the server what no well-behaved client library would."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any


class StdioPeer:
    def __init__(self, config_home: Path, extra_env: dict[str, str] | None = None) -> None:
        env = dict(os.environ, XDG_CONFIG_HOME=str(config_home), **(extra_env or {}))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lsp_server", "serve"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env,
            # HEARTH_PEER_STDERR=1 shows the server's log while debugging a test.
            stderr=None if os.environ.get("HEARTH_PEER_STDERR") else subprocess.DEVNULL)
        self._responses: dict[Any, dict[str, Any]] = {}
        self.answered: Counter[Any] = Counter()  # every reply's id, kept for counting
        self.repeated: list[dict[str, Any]] = []  # a second reply to the same id
        self._arrived = threading.Condition()
        self.notifications: queue.Queue[dict[str, Any]] = queue.Queue()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def send_raw(self, data: bytes) -> None:
        """Bytes exactly as given: no framing."""
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send_bytes(self, body: bytes) -> None:
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps(message).encode("utf-8", "surrogatepass"))

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 10) -> dict[str, Any]:
        msg_id = self.new_id()
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return self.wait_response(msg_id, timeout)

    def new_id(self) -> str:
        self._next_id += 1
        return f"peer-{self._next_id}"

    def wait_response(self, msg_id: Any, timeout: float) -> dict[str, Any]:
        end = time.monotonic() + timeout
        with self._arrived:
            while msg_id not in self._responses:
                left = end - time.monotonic()
                if left <= 0 or not self.alive:
                    raise TimeoutError(f"no response to {msg_id!r} (alive={self.alive})")
                self._arrived.wait(min(left, 0.1))
            return self._responses.pop(msg_id)

    def wait_notification(self, method: str, contains: str = "", timeout: float = 10
                          ) -> dict[str, Any]:
        """The next notification ``method`` whose params mention ``contains``."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                note = self.notifications.get(timeout=left)
            except queue.Empty:
                break
            if note.get("method") == method and contains in json.dumps(note.get("params")):
                return note
        raise TimeoutError(f"no {method} notification mentioning {contains!r}")

    def wait_exit(self, timeout: float = 10) -> int:
        return self.process.wait(timeout)

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii", "replace").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(stream.read(length))
            if "id" in message and "method" not in message:
                with self._arrived:
                    key = message["id"]
                    key = key if isinstance(key, int | str) else repr(key)
                    self._responses[key] = message
                    self.answered[key] += 1
                    if self.answered[key] > 1:
                        self.repeated.append(message)
                    self._arrived.notify_all()
            elif "id" in message:  # a request from the server: accept it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                self.notifications.put(message)

    def initialize(self, options: dict[str, Any], encoding: str = "utf-16",
                   wait_for_model: bool = True) -> None:
        reply = self.request("initialize", {
            "processId": None, "rootUri": None, "initializationOptions": options,
            "capabilities": {"general": {"positionEncodings": [encoding]},
                             "textDocument": {"inlineCompletion": {}}}})
        assert "result" in reply, reply
        self.notify("initialized", {})
        end = time.monotonic() + 60
        if not wait_for_model:
            return
        while self.status()["state"] not in ("ready", "error"):
            if time.monotonic() > end:
                raise TimeoutError("model did not load")
            time.sleep(0.05)

    def status(self, timeout: float = 10) -> dict[str, Any]:
        reply = self.request("workspace/executeCommand",
                             {"command": "hearth.status", "arguments": []}, timeout)
        result = reply.get("result")
        assert isinstance(result, dict), reply
        return result

    def close(self) -> None:
        if self.alive:
            try:
                self.request("shutdown", None, timeout=5)
                self.notify("exit", None)
                self.process.wait(5)
            except (TimeoutError, OSError, subprocess.TimeoutExpired):
                self.process.kill()
        self.process.wait(5)
