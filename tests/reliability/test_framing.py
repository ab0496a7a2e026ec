"""Byte streams that broke the message framing over stdio: each is sent to the real server, which
must stay alive and answer the valid requests that follow (and answer the broken request itself
with an error whenever its id can still be read)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.stdio_peer import StdioPeer


@pytest.fixture
def peer(tmp_path: Path, tiny_model: Path) -> Iterator[StdioPeer]:
    server = StdioPeer(tmp_path / "home")
    server.initialize({"modelPath": str(tiny_model), "maxTokens": 4})
    yield server
    server.close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Iterator[StdioPeer]:
    """One server for the inputs that must simply work (no reproduction of a failure)."""
    server = StdioPeer(tmp_path_factory.mktemp("home"))
    server.initialize({"modelPath": str(tiny_model), "maxTokens": 4})
    yield server
    server.close()


def status_request(msg_id: str) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": "workspace/executeCommand",
                       "params": {"command": "hearth.status", "arguments": []}}).encode()


def frame(body: bytes, header: bytes = b"Content-Length: %d\r\n\r\n") -> bytes:
    return (header % len(body) if b"%d" in header else header) + body


def assert_still_serving(peer: StdioPeer) -> None:
    """Alive, and the next well-formed request is answered at once."""
    assert peer.alive, f"the server exited with {peer.process.returncode}"
    assert peer.status(timeout=5)["state"] == "ready"


def error_code(reply: dict[str, Any]) -> int:
    assert "error" in reply, reply
    code = reply["error"]["code"]
    assert isinstance(code, int)
    return code


def test_content_length_of_a_terabyte(peer: StdioPeer) -> None:
    # Was: MemoryError in the reader, the process exited.
    msg_id = peer.new_id()
    peer.send_raw(frame(status_request(msg_id), b"Content-Length: 1000000000000\r\n\r\n"))
    assert error_code(peer.wait_response(msg_id, 5)) == -32600  # InvalidRequest: too large
    assert_still_serving(peer)


def test_content_length_of_99_nines(peer: StdioPeer) -> None:
    # Was: OverflowError in the reader, the process exited.
    msg_id = peer.new_id()
    peer.send_raw(frame(status_request(msg_id), b"Content-Length: " + b"9" * 99 + b"\r\n\r\n"))
    assert error_code(peer.wait_response(msg_id, 5)) == -32600
    assert_still_serving(peer)


def test_content_length_of_2gb_does_not_wait_for_it(peer: StdioPeer) -> None:
    # Was: the reader waited for 2 GB that never came; nothing was answered any more.
    peer.send_raw(b"Content-Length: 2000000000\r\n\r\n{\"jsonrpc\": \"2.0\", \"method\": \"x\"}")
    assert_still_serving(peer)


def test_garbage_without_newline_before_a_frame(peer: StdioPeer) -> None:
    # Was: the frame after the garbage was lost, and every frame after it (deaf).
    msg_id = peer.new_id()
    peer.send_raw(b"\x00\xffGARBAGE" + frame(status_request(msg_id)))
    assert "result" in peer.wait_response(msg_id, 5)
    assert_still_serving(peer)


def test_header_without_the_space(peer: StdioPeer) -> None:
    # Was: not recognised, and every frame after it was lost (deaf).
    msg_id = peer.new_id()
    peer.send_raw(frame(status_request(msg_id), b"Content-Length:%d\r\n\r\n"))
    assert "result" in peer.wait_response(msg_id, 5)
    assert_still_serving(peer)


def test_body_longer_than_its_content_length(peer: StdioPeer) -> None:
    # Was: the extra bytes spoiled the next header; nothing was answered any more (deaf).
    body = status_request(peer.new_id())
    peer.send_raw(b"Content-Length: %d\r\n\r\n" % (len(body) - 10) + body)
    assert_still_serving(peer)


def test_body_shorter_than_its_content_length(peer: StdioPeer) -> None:
    """The next frame arrives before the promised bytes: the short body is a complete message,
    so it is answered, and so is the next one."""
    first, second = peer.new_id(), peer.new_id()
    body = status_request(first)
    peer.send_raw(b"Content-Length: %d\r\n\r\n" % (len(body) + 500) + body
                  + frame(status_request(second)))
    assert "result" in peer.wait_response(first, 5)
    assert "result" in peer.wait_response(second, 5)


@pytest.mark.parametrize("header", [
    b"content-length: %d\r\n\r\n",                                   # names are case-insensitive
    b"CONTENT-LENGTH:\t%d  \r\n\r\n",                                # any spacing
    b"Content-Length: %d\n\n",                                       # bare line feeds
    b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: %d\r\n\r\n",
    b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf8\r\n\r\n",
    b"Content-Length: %d\r\nX-Unknown: ignored\r\n\r\n",
], ids=["lowercase", "tabs-and-spaces", "bare-newlines", "type-first", "type-after", "unknown"])
def test_lenient_headers(shared: StdioPeer, header: bytes) -> None:
    msg_id = shared.new_id()
    shared.send_raw(frame(status_request(msg_id), header))
    assert "result" in shared.wait_response(msg_id, 5)


def test_broken_json_with_a_readable_id_gets_a_parse_error(peer: StdioPeer) -> None:
    peer.send_raw(frame(b'{"jsonrpc": "2.0", "id": 41, "method": "shutdown", "params": {'))
    assert error_code(peer.wait_response(41, 5)) == -32700
    assert_still_serving(peer)


def test_body_nested_a_million_deep(peer: StdioPeer) -> None:
    peer.send_raw(frame(b'{"jsonrpc": "2.0", "id": 42, "method": "x", "params": '
                        + b"[" * 1_000_000 + b"]" * 1_000_000 + b"}"))
    assert_still_serving(peer)


def test_oversized_message_is_skipped_and_reported(tmp_path: Path, tiny_model: Path) -> None:
    """Above HEARTH_MAX_MESSAGE_MB the body is skipped as it streams past (not held in memory),
    the request gets an error reply, the next frame is read, and the user is told why."""
    server = StdioPeer(tmp_path / "home", {"HEARTH_MAX_MESSAGE_MB": "1"})
    try:
        server.initialize({"modelPath": str(tiny_model)})
        big, after = server.new_id(), server.new_id()
        text = "x = 1\n" * (3 * 1024 * 1024 // 6)
        server.send({"jsonrpc": "2.0", "id": big, "method": "workspace/executeCommand",
                     "params": {"command": "hearth.status", "arguments": [text]}})
        server.send_raw(frame(status_request(after)))
        reply = server.wait_response(big, 10)
        assert error_code(reply) == -32600 and "1 MB" in reply["error"]["message"]
        assert "result" in server.wait_response(after, 10)
        server.wait_notification("window/logMessage", "1 MB", timeout=5)
    finally:
        server.close()


def test_tcp_uses_the_same_reader(tmp_path: Path) -> None:
    """``serve --tcp``: garbage first, then the lifecycle, then exit code 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "lsp_server", "serve", "--tcp", f"127.0.0.1:{port}"],
        env=dict(os.environ, XDG_CONFIG_HOME=str(tmp_path)), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 20
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                assert time.monotonic() < end and server.poll() is None, "no TCP listener"
                time.sleep(0.1)
        with connection:
            stream = connection.makefile("rb")

            def ask(method: str, msg_id: int, params: Any) -> dict[str, Any]:
                body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method,
                                   "params": params}).encode()
                connection.sendall(b"\x00\xffGARBAGE" + frame(body, b"content-length:%d\n\n"))
                while True:
                    length = int(stream.readline().split(b":")[1])
                    while stream.readline().strip():
                        pass
                    reply: dict[str, Any] = json.loads(stream.read(length))
                    if reply.get("id") == msg_id:
                        return reply

            assert ask("shutdown", 1, None)["error"]["code"] == -32002
            assert "result" in ask("initialize", 2, {"processId": None, "rootUri": None,
                                                     "capabilities": {}})
            assert ask("shutdown", 3, None)["result"] is None
            connection.sendall(frame(b'{"jsonrpc": "2.0", "method": "exit"}'))
            assert server.wait(10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
