"""A real hearth server over stdio, driven by pytest-lsp with real editors' capabilities."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.conftest import SHARED, server_env

# The tiny test model writes random characters: documents in a language without a grammar keep
# them from being trimmed away by the syntax checks, so the LSP mechanics can be tested.
PLAIN = "plaintext"
NEOVIM_012 = SHARED / "clients" / "neovim_v0.12.4.json"
PROFILES = ["neovim", "visual-studio-code", "neovim-0.12"]


def capabilities(profile: str) -> types.ClientCapabilities:
    if profile == "neovim-0.12":
        if not NEOVIM_012.is_file():
            pytest.skip(f"{NEOVIM_012} is absent (../shared is not beside the checkout)")
        data = json.loads(NEOVIM_012.read_text())
        params = default_converter().structure(  # type: ignore[no-untyped-call]
            data, types.InitializeParams)
        caps: types.ClientCapabilities = params.capabilities
        return caps
    return client_capabilities(profile)


def config(tmp_home: Path) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "lsp_server", "serve"],
        server_env=server_env(XDG_CONFIG_HOME=str(tmp_home)),
    )


@pytest_lsp.fixture(config=config(Path("/nonexistent-hearth-config")))  # type: ignore[untyped-decorator]
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    with contextlib.suppress(TimeoutError, RuntimeError):
        await asyncio.wait_for(lsp_client.shutdown_session(), 10)


async def start(client: LanguageClient, profile: str, options: dict[str, Any] | None = None,
                root: Path | None = None, locale: str | None = None,
                wait: bool = True) -> dict[str, Any]:
    """initialize + initialized; then wait until the model is loaded (or failed)."""
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(profile),
        initialization_options=options or {},
        root_uri=root.as_uri() if root else None,
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]
        if root else None,
        locale=locale,
    ))
    if not wait:
        return {}
    return await wait_for_model(client)


async def status(client: LanguageClient) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="hearth.status", arguments=[]))
    assert isinstance(result, dict)
    return result


async def wait_for_model(client: LanguageClient, timeout: float = 60) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        current = await status(client)
        if current["state"] in ("ready", "error"):
            return current
        await asyncio.sleep(0.05)
    raise AssertionError("the model did not finish loading")


async def wait_busy(client: LanguageClient, busy: bool, timeout: float = 10) -> dict[str, Any]:
    """Poll ``hearth.status`` until the model worker is busy (or idle)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        current = await status(client)
        if current["busy"] is busy:
            return current
        await asyncio.sleep(0.02)
    raise AssertionError(f"the worker never became {'busy' if busy else 'idle'}")


def open_doc(client: LanguageClient, path: Path, text: str, language: str = "python") -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1,
                                             text=text)))
    return uri


def request_with_id(client: LanguageClient, method: str, params: Any,
                    msg_id: str) -> asyncio.Future[Any]:
    """Send a request with a known id (so the test can ``$/cancelRequest`` it) in the
    background; pytest-lsp sends nothing until awaited, hence ensure_future."""
    coroutine = client.protocol.send_request_async(  # type: ignore[no-untyped-call]
        method, params, msg_id=msg_id)
    return asyncio.ensure_future(coroutine)


def inline_params(uri: str, line: int, character: int,
                  invoked: bool = False) -> types.InlineCompletionParams:
    kind = (types.InlineCompletionTriggerKind.Invoked if invoked
            else types.InlineCompletionTriggerKind.Automatic)
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=kind))


async def ghost_text(client: LanguageClient, uri: str, line: int = 0, character: int = 4
                     ) -> str | None:
    """The inline suggestion's text at a position, or None."""
    result = await client.text_document_inline_completion_async(
        inline_params(uri, line, character))
    if result is None:
        return None
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    text = items[0].insert_text
    return text if isinstance(text, str) else text.value
