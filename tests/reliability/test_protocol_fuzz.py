"""Fuzzing the real server over stdio with at least 10,000 messages per run: bad JSON, wrong types,
unknown methods, broken lifecycles, out-of-range positions and odd URIs, framed every way a
client can get framing wrong (lenient headers, garbage between frames, lengths too long, too
short, absurd). Whatever arrives, the server must stay alive (crashes), keep answering (hangs)
and answer every request it can read an id for (unanswered), with no reply for an id never sent
(stray). The counts are printed (-s) for the README's reliability table; all must be 0."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.reliability.stdio_peer import StdioPeer

BATCHES, BATCH = 200, 50  # 10,000 messages
URI = "file:///fuzz/doc.py"
URIS = [URI, "file:///nope", "not a uri", "", "file:", "file://", "untitled:Untitled-1"]
METHODS = ["textDocument/inlineCompletion", "textDocument/completion", "textDocument/didChange",
           "textDocument/didOpen", "textDocument/didClose", "textDocument/didSave",
           "workspace/executeCommand", "workspace/didChangeConfiguration",
           "workspace/didChangeWatchedFiles", "textDocument/codeAction", "codeAction/resolve",
           "textDocument/hover", "no/such/method", "$/cancelRequest", "$/setTrace",
           "initialize", "initialized", "window/workDoneProgress/cancel", ""]
COMMANDS = ["hearth.status", "hearth.explain", "hearth.fix", "hearth.documentState",
            "hearth.lastCompletion", "no.such.command"]

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                         st.floats(allow_nan=False), st.text(max_size=30))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
coordinates = st.one_of(st.integers(-3, 12), st.integers(-3, 2**31),  # small ones split emoji
                        st.sampled_from([2**31 - 1, 2**31, 2**53, -2**31]))
positions = st.fixed_dictionaries({"line": coordinates, "character": coordinates})
ranges = st.fixed_dictionaries({"start": positions, "end": positions})
uris = st.sampled_from(URIS)
weird_text = st.lists(st.one_of(st.characters(codec="utf-8"), st.sampled_from(
    ["\ud83d", "\ude00", "\r", "\r\n", "\x00", "😀", "\n"])), max_size=40).map("".join)
ids = st.one_of(st.integers(-2**40, 2**40), st.text(max_size=5), st.none(), json_values)


def request(method: str, params: Any) -> Any:
    return st.fixed_dictionaries({"jsonrpc": st.just("2.0"), "id": ids, "method": st.just(method),
                                  "params": params})


def position_request(method: str) -> Any:
    return request(method, st.fixed_dictionaries({
        "textDocument": st.fixed_dictionaries({"uri": uris}),
        "position": positions,
        "context": st.one_of(st.just({"triggerKind": 1}), st.just({"triggerKind": 2}),
                             json_values),
    }))


changes = st.fixed_dictionaries({
    "textDocument": st.fixed_dictionaries({"uri": st.sampled_from([URI, "file:///unopened"]),
                                           "version": st.integers(-1, 10**6)}),
    "contentChanges": st.lists(st.one_of(
        st.fixed_dictionaries({"range": ranges, "text": weird_text}),
        st.fixed_dictionaries({"text": weird_text})), max_size=3),
}).map(lambda p: {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": p})

fix_data = st.fixed_dictionaries({
    "hearth": st.sampled_from(["fix", "other"]), "uri": uris, "version": st.integers(-1, 3),
    "range": ranges | json_values, "region": ranges | json_values,
    "problems": st.lists(st.fixed_dictionaries({"range": ranges, "message": st.text(max_size=9)}),
                         max_size=2) | json_values})
resolve = request("codeAction/resolve", st.fixed_dictionaries({
    "title": st.text(max_size=9), "data": fix_data | json_values}))
commands = request("workspace/executeCommand", st.fixed_dictionaries({
    "command": st.sampled_from(COMMANDS),
    "arguments": st.one_of(st.tuples(uris, ranges).map(list), st.tuples(fix_data).map(list),
                           st.lists(json_values, max_size=3))}))

anything = st.fixed_dictionaries({
    "jsonrpc": st.sampled_from(["2.0", "1.0", ""]),
    "id": ids,
    "method": st.sampled_from(METHODS),
    "params": json_values,
}, optional={"result": json_values}).map(
    lambda m: m if m["jsonrpc"] else {k: v for k, v in m.items() if k != "jsonrpc"})

one_message = st.one_of(
    position_request("textDocument/inlineCompletion"),
    position_request("textDocument/completion"),
    changes, anything, resolve, commands,
    st.fixed_dictionaries({"jsonrpc": st.just("2.0"), "id": ids,
                           "method": json_values.filter(lambda m: not isinstance(m, str))}),
)
payloads = st.one_of(
    one_message, one_message, one_message, one_message,
    st.lists(one_message, max_size=3),  # a batch: LSP has none
    st.binary(max_size=80),  # not JSON, not UTF-8
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
)

# How the payload is framed. "owed": a request in it must be answered.
_LENGTH = re.compile(rb"content-length", re.IGNORECASE)
garbage = st.binary(min_size=1, max_size=40).filter(lambda b: not _LENGTH.search(b))
FRAMINGS = st.one_of(
    st.just(("exact", b"")), st.just(("exact", b"")), st.just(("exact", b"")),
    st.sampled_from([("lenient", h) for h in (
        b"content-length: %d\r\n\r\n", b"Content-Length:%d\r\n\r\n", b"Content-Length: %d\n\n",
        b"CONTENT-LENGTH:\t%d \r\n\r\n",
        b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: %d\r\n\r\n",
        b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf8\r\n\r\n")]),
    garbage.map(lambda g: ("garbage first", g)),
    st.integers(1, 30).map(lambda n: ("too long", b"%d" % n)),
    st.integers(1, 30).map(lambda n: ("too short", b"%d" % n)),
    st.sampled_from([("absurd", b"1000000000000"), ("absurd", b"9" * 99),
                     ("absurd", b"2000000000")]),
    st.just(("unframed", b"")),
)


def usable(msg_id: Any) -> bool:
    return isinstance(msg_id, int | str) and not isinstance(msg_id, bool)


@dataclass
class Fuzz:
    """One server at a time (a crashed or hung one is counted and replaced)."""

    home: Path
    model: Path
    peer: StdioPeer | None = None
    messages: int = 0
    crashes: int = 0
    hangs: int = 0
    unanswered: int = 0
    stray: int = 0
    requests: int = 0  # requests owed a reply
    seconds: float = 0.0
    owed: dict[Any, bytes] = field(default_factory=dict)  # id → what was sent
    sent: set[Any] = field(default_factory=set)
    examples: list[str] = field(default_factory=list)  # what went wrong, for the report
    _next: int = 0

    def start(self) -> None:
        self.peer = StdioPeer(self.home)
        self.peer.initialize({"modelPath": str(self.model), "maxTokens": 4,
                              "timeBudgetMs": 2000, "fixMaxTokens": 16,
                              "explainMaxTokens": 16, "commandTimeoutMs": 5000})

    def fresh_id(self, old: Any) -> Any:
        """A unique id of the same type, so each reply is matched to its request."""
        self._next += 1
        new: int | str = (-self._next if old < 0 else self._next) if isinstance(old, int) \
            else f"{old[:3]}~{self._next}"
        self.sent.add(new)
        return new

    def renumber(self, payload: Any) -> tuple[Any, list[Any]]:
        """The payload with unique ids, and the ids a reply is owed for if it arrives whole."""
        if isinstance(payload, list):
            items = [self.renumber(item) for item in payload]
            return [item for item, _ in items], [i for _, owed in items for i in owed]
        if not isinstance(payload, dict) or not usable(payload.get("id")):
            return payload, []
        payload = {**payload, "id": self.fresh_id(payload["id"])}
        return payload, [payload["id"]] if "method" in payload else []

    def wire(self, payload: Any, framing: tuple[str, bytes]) -> tuple[bytes, list[Any]]:
        owed: list[Any] = []
        if isinstance(payload, bytes):
            body = payload
        else:
            payload, owed = self.renumber(payload)
            body = json.dumps(payload).encode("utf-8", "surrogatepass")
        kind, extra = framing
        header = b"Content-Length: %d\r\n\r\n" % len(body)
        if kind == "lenient":
            header = extra % len(body)
        elif kind == "garbage first":
            header = extra + header
        elif kind == "too long":
            header = b"Content-Length: %d\r\n\r\n" % (len(body) + int(extra))
        elif kind == "too short":
            header = b"Content-Length: %d\r\n\r\n" % max(0, len(body) - int(extra))
            owed = []  # the frame is broken: a reply is welcome, not owed
        elif kind == "absurd":
            header = b"Content-Length: " + extra + b"\r\n\r\n"
            if isinstance(payload, list):
                owed = []  # only a top-level request's id is looked for in a skipped body
        elif kind == "unframed":
            header, owed = b"", []
        return header + body, owed

    def send(self, batch: list[tuple[Any, tuple[str, bytes]]]) -> None:
        if self.peer is None or not self.peer.alive:
            self.start()
        peer = self.peer
        assert peer is not None
        began = time.monotonic()
        opened = {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": URI, "languageId": "python", "version": 1, "text": "def f(x):\n    return x\n"}}}
        data = [json.dumps(opened).encode()]
        data[0] = b"Content-Length: %d\r\n\r\n" % len(data[0]) + data[0]
        for payload, framing in batch:
            wire, owed = self.wire(payload, framing)
            data.append(wire)
            self.owed.update((msg_id, wire) for msg_id in owed)
            self.requests += len(owed)
        self.messages += len(batch)
        try:
            peer.send_raw(b"".join(data))
            state = peer.status(timeout=20)["state"]
            assert state == "ready", state
            if peer.repeated and not self.examples:
                self.examples.append(f"a repeated reply; the batch is saved in {self.save(data)}")
        except (TimeoutError, OSError, AssertionError) as exc:
            self.replace(peer, f"{exc}; the batch is saved in {self.save(data)}")
        self.seconds += time.monotonic() - began

    def save(self, data: list[bytes]) -> Path:
        """Keep a batch that went wrong; replay: cat it into ``hearth-lsp serve`` after an
        initialize."""
        saved = self.home / f"batch-{len(self.examples)}.bin"
        saved.write_bytes(b"".join(data))
        return saved

    def replace(self, peer: StdioPeer, what: str) -> None:
        if peer.alive:
            self.hangs += 1
            peer.process.kill()
        else:
            self.crashes += 1
        self.examples.append(what)
        self.settle(peer, wait=0)
        peer.process.wait(5)
        self.peer = None

    def settle(self, peer: StdioPeer, wait: float) -> None:
        """Count what ``peer`` left unanswered (after ``wait`` seconds at most) or sent unasked."""
        end = time.monotonic() + wait
        while time.monotonic() < end and not set(self.owed) <= set(peer.answered):
            time.sleep(0.1)
        missing = [msg_id for msg_id in self.owed if msg_id not in peer.answered]
        self.unanswered += len(missing)
        self.examples += [f"no reply to {self.owed[msg_id]!r}"[:600] for msg_id in missing[:5]]
        self.owed.clear()
        strays = [msg_id for msg_id, n in peer.answered.items()
                  if n > 1 or (msg_id not in self.sent and not str(msg_id).startswith("peer-"))]
        self.stray += len(strays)
        self.examples += [f"stray reply to {msg_id!r}" for msg_id in strays[:5]
                          if peer.answered[msg_id] == 1]
        self.examples += [f"repeated reply: {json.dumps(reply)[:300]}"
                          for reply in peer.repeated[:5]]
        peer.repeated.clear()
        peer.answered.clear()


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Iterator[Fuzz]:
    run = Fuzz(tmp_path_factory.mktemp("home"), tiny_model)
    run.start()
    yield run
    if run.peer is not None:
        run.peer.close()


@settings(max_examples=BATCHES, deadline=None, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(batch=st.lists(st.tuples(payloads, FRAMINGS), min_size=BATCH, max_size=BATCH))
def test_server_survives_any_byte_stream(fuzz: Fuzz, batch: list[Any]) -> None:
    fuzz.send(batch)  # counted, not asserted: the report below gives every number at once


def test_fuzz_report(fuzz: Fuzz) -> None:
    if fuzz.peer is not None:
        fuzz.settle(fuzz.peer, wait=30)
    print(f"\nprotocol fuzz: {fuzz.messages} messages ({fuzz.requests} requests owed a reply) "
          f"in {fuzz.seconds:.1f} s, "
          f"crashes {fuzz.crashes}, hangs {fuzz.hangs}, unanswered requests {fuzz.unanswered}, "
          f"stray replies {fuzz.stray}")
    assert fuzz.messages >= BATCHES * BATCH
    assert (fuzz.crashes, fuzz.hangs, fuzz.unanswered, fuzz.stray) == (0, 0, 0, 0), \
        "\n".join(fuzz.examples[:10])


def test_requests_with_bad_params_get_error_replies(fuzz: Fuzz) -> None:
    if fuzz.peer is None:
        fuzz.start()
    peer = fuzz.peer
    assert peer is not None
    reply = peer.request("textDocument/inlineCompletion", {"textDocument": {"uri": URI},
                                                          "position": {"line": -1}})
    assert reply["error"]["code"] == -32602
    reply = peer.request("no/such/method", {})
    assert reply["error"]["code"] == -32601


def test_huge_and_deeply_nested_documents(fuzz: Fuzz) -> None:
    peer = fuzz.peer
    assert peer is not None
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
