"""Notifications leave nothing behind in pygls' table of running handlers (it kept one future
per notification handled by a generator or a coroutine, hearth's didOpen/didChange/didClose
among them: about 1.5 KB per keystroke, for the server's lifetime)."""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from lsp_server.handler_futures import ForgetFinishedHandlers
from lsp_server.server import create_server


class Forgetting(ForgetFinishedHandlers, LanguageServerProtocol):
    pass


def server_with(protocol: type[LanguageServerProtocol]) -> tuple[LanguageServer, list[str]]:
    server = LanguageServer("test", "1", protocol_cls=protocol)
    seen: list[str] = []

    @server.feature(types.SET_TRACE)  # pygls' own handler, a generator, calls this one
    def set_trace(ls: LanguageServer, params: types.SetTraceParams) -> None:
        seen.append(params.value)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configured(ls: LanguageServer, params: types.DidChangeConfigurationParams) -> None:
        seen.append("configured")

    return server, seen


def notify(server: LanguageServer, method: str, params: dict[str, Any]) -> None:
    message = server.protocol.structure_message(
        {"jsonrpc": "2.0", "method": method, "params": params})
    server.protocol.handle_message(message)


async def send_many(server: LanguageServer) -> None:
    for _ in range(50):
        notify(server, types.SET_TRACE, {"value": "off"})
        notify(server, types.WORKSPACE_DID_CHANGE_CONFIGURATION, {"settings": {}})
    await asyncio.sleep(0.05)  # the async handlers finish


async def test_pygls_alone_keeps_a_future_per_notification() -> None:
    """The reason for the mixin: without it the table grows with every notification."""
    server, seen = server_with(LanguageServerProtocol)
    await send_many(server)
    assert len(seen) == 100
    assert len(server.protocol._request_futures) >= 100


async def test_finished_notification_handlers_are_forgotten() -> None:
    server, seen = server_with(Forgetting)
    await send_many(server)
    assert len(seen) == 100
    assert server.protocol._request_futures == {}


def test_hearth_protocol_forgets_them() -> None:
    assert isinstance(create_server().protocol, ForgetFinishedHandlers)
