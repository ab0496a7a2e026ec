"""The LSP lifecycle and JSON-RPC error codes, over stdio against the real server: every request
with an id gets a reply, with the code the specifications give."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.stdio_peer import StdioPeer

INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32600, -32601, -32602
SERVER_NOT_INITIALIZED = -32002
URI = "file:///lifecycle/doc.py"
STATUS = {"command": "hearth.status", "arguments": []}


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[StdioPeer]:
    """A server that has not been initialized."""
    server = StdioPeer(tmp_path / "home")
    yield server
    server.close()


@pytest.fixture
def ready(fresh: StdioPeer, tiny_model: Path) -> StdioPeer:
    fresh.initialize({"modelPath": str(tiny_model), "maxTokens": 4})
    return fresh


def initialize_params(tiny_model: Path) -> dict[str, Any]:
    return {"processId": None, "rootUri": None, "capabilities": {},
            "initializationOptions": {"modelPath": str(tiny_model)}}


def error_code(reply: dict[str, Any]) -> int:
    assert "error" in reply, reply
    code = reply["error"]["code"]
    assert isinstance(code, int)
    return code


def open_doc(peer: StdioPeer, uri: str = URI) -> None:
    peer.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": "def f(x):\n    return x\n"}})


@pytest.mark.parametrize("version", [None, "1.0"], ids=["missing", "1.0"])
def test_request_without_jsonrpc_2_gets_invalid_request(ready: StdioPeer,
                                                        version: str | None) -> None:
    # Was: no reply at all (the client waits forever).
    message: dict[str, Any] = {"id": 7, "method": "workspace/executeCommand", "params": STATUS}
    if version is not None:
        message["jsonrpc"] = version
    ready.send(message)
    assert error_code(ready.wait_response(7, 5)) == INVALID_REQUEST


def test_requests_before_initialize_get_server_not_initialized(fresh: StdioPeer,
                                                              tiny_model: Path) -> None:
    # Was: served as if initialized; notifications before it were applied.
    assert error_code(fresh.request("workspace/executeCommand", STATUS)) \
        == SERVER_NOT_INITIALIZED
    open_doc(fresh)  # a notification before initialize: dropped
    assert "result" in fresh.request("initialize", initialize_params(tiny_model))
    fresh.notify("initialized", {})
    state = fresh.request("workspace/executeCommand", {
        "command": "hearth.documentState", "arguments": [URI]})
    assert state["result"] is None, state


def test_shutdown_before_initialize_keeps_the_server_listening(fresh: StdioPeer,
                                                              tiny_model: Path) -> None:
    # Was: every message afterwards ignored, initialize included.
    assert error_code(fresh.request("shutdown", None)) == SERVER_NOT_INITIALIZED
    assert "result" in fresh.request("initialize", initialize_params(tiny_model))
    assert "result" in fresh.request("workspace/executeCommand", STATUS)


def test_initialize_twice_gets_invalid_request(ready: StdioPeer, tiny_model: Path) -> None:
    assert error_code(ready.request("initialize", initialize_params(tiny_model))) \
        == INVALID_REQUEST
    assert ready.status()["state"] == "ready"


def test_requests_after_shutdown_get_invalid_request(ready: StdioPeer) -> None:
    # Was: dropped silently.
    assert ready.request("shutdown", None)["result"] is None
    assert error_code(ready.request("workspace/executeCommand", STATUS)) == INVALID_REQUEST
    assert error_code(ready.request("shutdown", None)) == INVALID_REQUEST
    ready.notify("exit", None)
    assert ready.wait_exit() == 0


def test_exit_without_shutdown_exits_1(ready: StdioPeer) -> None:
    # Was: exit code 0.
    ready.notify("exit", None)
    assert ready.wait_exit() == 1


def test_exit_before_initialize_exits_1(fresh: StdioPeer) -> None:
    fresh.notify("exit", None)
    assert fresh.wait_exit() == 1


def test_exit_after_shutdown_exits_0(ready: StdioPeer) -> None:
    assert "result" in ready.request("shutdown", None)
    ready.notify("exit", None)
    assert ready.wait_exit() == 0


def test_initialized_is_handled_once(fresh: StdioPeer, tiny_model: Path) -> None:
    # Was: sent 5 times, the model was loaded 4 times.
    assert "result" in fresh.request("initialize", initialize_params(tiny_model))
    for _ in range(5):
        fresh.notify("initialized", {})
    end = time.monotonic() + 30
    while fresh.status()["state"] != "ready" and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(1.0)  # time enough for any further load to start and finish
    loads = 0
    while True:
        try:
            note = fresh.notifications.get_nowait()
        except queue.Empty:
            break
        if note["method"] == "window/logMessage" and "hearth: loaded" in json.dumps(note):
            loads += 1
    assert loads == 1


def test_notification_method_sent_with_an_id_is_answered(ready: StdioPeer) -> None:
    ready.send({"jsonrpc": "2.0", "id": 9, "method": "$/cancelRequest", "params": {"id": 1}})
    assert error_code(ready.wait_response(9, 5)) == METHOD_NOT_FOUND
    ready.send({"jsonrpc": "2.0", "id": 10, "method": "textDocument/didClose",
                "params": {"textDocument": {"uri": URI}}})
    assert error_code(ready.wait_response(10, 5)) == METHOD_NOT_FOUND


def test_each_request_in_a_batch_is_answered(ready: StdioPeer) -> None:
    """LSP has no batches; each request in one gets InvalidRequest rather than silence."""
    batch = [{"jsonrpc": "2.0", "id": n, "method": "workspace/executeCommand", "params": STATUS}
             for n in (11, 12)] + [{"jsonrpc": "2.0", "method": "initialized", "params": {}}]
    ready.send_bytes(json.dumps(batch).encode())
    assert error_code(ready.wait_response(11, 5)) == INVALID_REQUEST
    assert error_code(ready.wait_response(12, 5)) == INVALID_REQUEST


BIG = 2**31  # one above LSP's largest integer
BIG_RANGE = {"start": {"line": 0, "character": 0}, "end": {"line": BIG, "character": 0}}


def fix_data(uri: str, rng: dict[str, Any]) -> dict[str, Any]:
    return {"hearth": "fix", "uri": uri, "version": 1, "range": rng, "region": rng,
            "problems": []}


def test_positions_above_lsp_integers_in_resolve_data_are_invalid_params(
        ready: StdioPeer) -> None:
    # Was: -32603 InternalError from lsprotocol's validator.
    open_doc(ready)
    reply = ready.request("codeAction/resolve", {"title": "Fix", "data": fix_data(URI, BIG_RANGE)})
    assert error_code(reply) == INVALID_PARAMS


def test_positions_above_lsp_integers_in_command_arguments_are_invalid_params(
        ready: StdioPeer) -> None:
    open_doc(ready)
    reply = ready.request("workspace/executeCommand", {
        "command": "hearth.fix", "arguments": [fix_data(URI, BIG_RANGE)]})
    assert error_code(reply) == INVALID_PARAMS
    reply = ready.request("workspace/executeCommand", {
        "command": "hearth.explain", "arguments": [URI, BIG_RANGE]})
    assert error_code(reply) == INVALID_PARAMS


def test_file_uri_without_a_path_is_invalid_params(fresh: StdioPeer, tiny_model: Path,
                                                   tmp_path: Path) -> None:
    # Was: -32603 ("Can't mix absolute and relative paths") from every feature.
    root = tmp_path / "root"
    root.mkdir()
    reply = fresh.request("initialize", {**initialize_params(tiny_model),
                                         "rootUri": root.as_uri()})
    assert "result" in reply
    fresh.notify("initialized", {})
    end = time.monotonic() + 30
    while fresh.status()["state"] != "ready" and time.monotonic() < end:
        time.sleep(0.05)
    open_doc(fresh, "file:")
    one_char = {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}
    position = {"line": 0, "character": 1}
    for method, params in (
            ("textDocument/inlineCompletion", {"textDocument": {"uri": "file:"},
                                               "position": position,
                                               "context": {"triggerKind": 1}}),
            ("textDocument/completion", {"textDocument": {"uri": "file:"}, "position": position}),
            ("textDocument/codeAction", {"textDocument": {"uri": "file:"}, "range": one_char,
                                         "context": {"diagnostics": []}}),
            ("workspace/executeCommand", {"command": "hearth.explain",
                                          "arguments": ["file:", one_char]}),
            ("codeAction/resolve", {"title": "Fix", "data": fix_data("file:", one_char)})):
        assert error_code(fresh.request(method, params)) == INVALID_PARAMS, method
