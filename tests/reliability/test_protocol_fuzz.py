"""Fuzzing the real server over stdio: whatever arrives, it answers (an error if need be) and
keeps serving. The count of cases tried is printed (-s) for the README's reliability table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.stdio_peer import StdioPeer

URI = "file:///fuzz/doc.py"
METHODS = ["textDocument/inlineCompletion", "textDocument/completion", "textDocument/didChange",
           "textDocument/didOpen", "textDocument/didClose", "workspace/executeCommand",
           "workspace/didChangeConfiguration", "textDocument/codeAction", "codeAction/resolve",
           "textDocument/hover", "no/such/method", "$/cancelRequest", "$/setTrace", ""]

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                         st.floats(allow_nan=False), st.text(max_size=30))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
coordinates = st.one_of(st.integers(-3, 12), st.integers(-3, 2**31))  # small ones split emoji
positions = st.fixed_dictionaries({"line": coordinates, "character": coordinates})
ranges = st.fixed_dictionaries({"start": positions, "end": positions})
weird_text = st.lists(st.one_of(st.characters(codec="utf-8"), st.sampled_from(
    ["\ud83d", "\ude00", "\r", "\r\n", "\x00", "😀", "\n"])), max_size=40).map("".join)


def position_request(method: str) -> Any:
    return st.fixed_dictionaries({
        "textDocument": st.fixed_dictionaries({"uri": st.sampled_from([URI, "file:///nope",
                                                                      "not a uri", ""])}),
        "position": positions,
        "context": st.one_of(st.just({"triggerKind": 1}), st.just({"triggerKind": 2}),
                             json_values),
    }).map(lambda p: {"jsonrpc": "2.0", "id": 1, "method": method, "params": p})


changes = st.fixed_dictionaries({
    "textDocument": st.fixed_dictionaries({"uri": st.sampled_from([URI, "file:///unopened"]),
                                           "version": st.integers(-1, 10**6)}),
    "contentChanges": st.lists(st.one_of(
        st.fixed_dictionaries({"range": ranges, "text": weird_text}),
        st.fixed_dictionaries({"text": weird_text})), max_size=3),
}).map(lambda p: {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": p})

anything = st.fixed_dictionaries({
    "jsonrpc": st.sampled_from(["2.0", "1.0", ""]),
    "id": st.one_of(st.integers(), st.text(max_size=5), st.none(), json_values),
    "method": st.sampled_from(METHODS),
    "params": json_values,
})

messages = st.one_of(
    position_request("textDocument/inlineCompletion"),
    position_request("textDocument/completion"),
    changes,
    anything,
    st.binary(max_size=80),  # not JSON, not UTF-8
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Iterator[StdioPeer]:
    server = StdioPeer(tmp_path_factory.mktemp("home"))
    server.initialize({"modelPath": str(tiny_model), "maxTokens": 4, "timeBudgetMs": 2000})
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": URI, "languageId": "python", "version": 1, "text": "def f(x):\n    return x\n"}})
    yield server
    server.close()


CASES = {"count": 0}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])
@given(message=messages)
def test_server_survives_any_message(peer: StdioPeer, message: Any) -> None:
    CASES["count"] += 1
    if isinstance(message, bytes):
        peer.send_bytes(message)
    else:
        peer.send_bytes(json.dumps(message).encode("utf-8", "surrogatepass"))
    assert peer.alive
    assert peer.status(timeout=10)["state"] == "ready"


def test_requests_with_bad_params_get_error_replies(peer: StdioPeer) -> None:
    reply = peer.request("textDocument/inlineCompletion", {"textDocument": {"uri": URI},
                                                          "position": {"line": -1}})
    assert reply["error"]["code"] == -32602
    reply = peer.request("no/such/method", {})
    assert reply["error"]["code"] == -32601


def test_huge_and_deeply_nested_documents(peer: StdioPeer) -> None:
    big = "x = 1\n" * (10 * 1024 * 1024 // 6)  # a 10 MB document
    peer.notify("textDocument/didOpen", {"textDocument": {
        "uri": "file:///fuzz/big.py", "languageId": "python", "version": 1, "text": big}})
    nested = "x = " + "[" * 5000 + "]" * 5000 + "\n" + "if x:\n" * 300
    peer.notify("textDocument/didOpen", {"textDocument": {
        "uri": "file:///fuzz/nested.py", "languageId": "python", "version": 1,
        "text": nested}})
    for uri, line in (("file:///fuzz/big.py", 1000), ("file:///fuzz/nested.py", 1)):
        reply = peer.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": line, "character": 0},
            "context": {"triggerKind": 1}}, timeout=30)
        assert "error" not in reply or reply["error"]["code"] != -32603, reply
    assert peer.status()["state"] == "ready"


def test_report_cases_tried(peer: StdioPeer) -> None:
    print(f"\nprotocol fuzz: {CASES['count']} messages tried, server alive: {peer.alive}")
    assert CASES["count"] >= 400 and peer.alive
