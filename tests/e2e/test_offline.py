"""The offline guarantee, tested rather than claimed.

The server runs a whole editing session (a workspace folder, documents, ghost text, the
completion menu, a quick fix and an explanation) inside a network namespace that has nothing but
loopback, with the embedded model and default settings, while an audit-hook guard
(tests/offline_guard/sitecustomize.py) records and refuses every connection, datagram and name
lookup that would leave the machine. The test fails on any such attempt, and checks that the
guard and the namespace were really in force.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import ROOT, server_env
from tests.e2e.conftest import capabilities, inline_params, open_doc, status, wait_for_model

GUARD_DIR = ROOT / "tests" / "offline_guard"
NETNS_EXEC = ROOT / "tests" / "netns_exec.py"
STATE = Path(tempfile.mkdtemp(prefix="hearth-offline-"))
GUARD_LOG = STATE / "guard.jsonl"


def guarded_env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join([str(GUARD_DIR), str(ROOT)])
    return server_env(PYTHONPATH=path, HEARTH_NET_GUARD_LOG=str(GUARD_LOG),
                      XDG_CONFIG_HOME=str(STATE / "config"), **extra)


def in_namespace(*command: str) -> list[str]:
    # -S: the launcher itself needs no site-packages (and so does not load the guard before
    # entering the namespace).
    return [sys.executable, "-S", str(NETNS_EXEC), "--", *command]


def namespace_unavailable() -> str | None:
    """Why a loopback-only namespace cannot be made here, or None if it can."""
    if not sys.platform.startswith("linux"):
        return f"network namespaces are Linux-only (this is {sys.platform})"
    probe = subprocess.run(in_namespace(sys.executable, "-S", "-c", "pass"),
                           capture_output=True, text=True, timeout=30, check=False)
    if probe.returncode != 0:
        return (probe.stderr.strip() or f"exit status {probe.returncode}") + (
            " — run the tests as root, or enable unprivileged user namespaces"
            " (sysctl kernel.unprivileged_userns_clone=1)")
    return None


def guard_entries() -> list[dict[str, Any]]:
    if not GUARD_LOG.is_file():
        return []
    return [json.loads(line) for line in GUARD_LOG.read_text().splitlines() if line]


@pytest.fixture(scope="module", autouse=True)
def remove_state() -> Iterator[None]:
    yield
    shutil.rmtree(STATE, ignore_errors=True)


@pytest.fixture(autouse=True)
def require_namespace() -> None:
    reason = namespace_unavailable()
    if reason is not None:
        pytest.skip(f"cannot isolate the network: {reason}")
    GUARD_LOG.unlink(missing_ok=True)


def test_guard_refuses_and_records_traffic_that_leaves_the_machine() -> None:
    script = (
        "import socket\n"
        "s = socket.socket(); s.settimeout(1)\n"
        "try:\n    s.connect(('10.20.30.40', 80))\n"
        "except PermissionError as e:\n    print('refused', e)\n"
        "server = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen()\n"
        "socket.create_connection(server.getsockname(), 1).close()\n"
        "print('loopback ok')\n"
    )
    run = subprocess.run(in_namespace(sys.executable, "-c", script), env=guarded_env(),
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert "refused hearth offline guard: socket.connect" in run.stdout
    assert "loopback ok" in run.stdout
    entries = guard_entries()
    assert [e["event"] for e in entries] == ["start", "socket.connect"]
    assert "10.20.30.40" in entries[1]["args"]
    assert entries[0]["netns"] != os.readlink("/proc/self/ns/net")


SERVER = ClientServerConfig(
    server_command=in_namespace(sys.executable, "-m", "lsp_server", "serve"),
    server_env=guarded_env(),
)


@pytest_lsp.fixture(config=SERVER)  # type: ignore[untyped-decorator]
async def offline_client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    with contextlib.suppress(TimeoutError, RuntimeError):
        await asyncio.wait_for(lsp_client.shutdown_session(), 10)


PROJECT = {
    "shapes.py": (
        "import math\n\n\n"
        "def circle_area(radius: float) -> float:\n"
        "    return math.pi * radius ** 2\n\n\n"
        "def square_area(side: float) -> float:\n"
        "    return "
    ),
    "util.py": "def clamp(x, low, high):\n    return max(low, min(x, high))\n",
}


async def test_a_whole_session_never_leaves_the_machine(
        offline_client: LanguageClient, tmp_path: Path) -> None:
    client = offline_client
    root = tmp_path / "project"
    root.mkdir()
    for name, text in PROJECT.items():
        (root / name).write_text(text)
    result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities("neovim-0.12"),
        # The embedded model and the default engine; short answers keep the test quick.
        initialization_options={"maxTokens": 16, "fixMaxTokens": 48, "explainMaxTokens": 48,
                                "explainShowMessage": False},
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
    ))
    assert result.capabilities.inline_completion_provider is not None
    ready = await wait_for_model(client, timeout=120)
    assert ready["state"] == "ready", ready

    uri = open_doc(client, root / "shapes.py", PROJECT["shapes.py"])
    lines = PROJECT["shapes.py"].split("\n")
    inline = await client.text_document_inline_completion_async(
        inline_params(uri, len(lines) - 1, len(lines[-1]), invoked=True))
    assert isinstance(inline, types.InlineCompletionList) and inline.items
    assert isinstance(inline.items[0].insert_text, str) and inline.items[0].insert_text.strip()

    menu = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=len(lines) - 1, character=len(lines[-1])),
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)))
    assert menu is not None

    util = open_doc(client, root / "util.py", PROJECT["util.py"])
    problem = types.Diagnostic(
        range=types.Range(start=types.Position(line=1, character=11),
                          end=types.Position(line=1, character=14)),
        message="clamp returns low when x is above high", source="test")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=util), range=problem.range,
        context=types.CodeActionContext(diagnostics=[problem],
                                        trigger_kind=types.CodeActionTriggerKind.Invoked)))
    assert actions is not None
    fix = next(a for a in actions if isinstance(a, types.CodeAction) and a.data is not None)
    resolved = await asyncio.wait_for(client.code_action_resolve_async(fix), 120)
    assert isinstance(resolved.data, dict) and resolved.data["reason"] not in (
        "superseded", "no-model")

    explained = await asyncio.wait_for(client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="hearth.explain", arguments=[
            util, {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}])),
        120)
    assert isinstance(explained, dict) and explained["markdown"].strip()

    final = await status(client)
    assert final["state"] == "ready"
    assert final["generations"]["completed"] >= 4  # warm-up, completions, fix, explanation

    entries = guard_entries()
    starts = [e for e in entries if e["event"] == "start"]
    assert starts, "the guard was not loaded into the server process"
    ours = os.readlink("/proc/self/ns/net")
    assert all(e["netns"] != ours for e in starts), "the server ran outside the namespace"
    attempts = [e for e in entries if e["event"] != "start"]
    assert attempts == [], "network use outside loopback:\n" + "\n".join(
        f"{e['event']} {e['args']}\n{''.join(e['stack'])}" for e in attempts)
