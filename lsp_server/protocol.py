"""The JSON-RPC / LSP protocol layer: hearth's own framing reader (``framing.py``) feeds it, pygls
handles everything above it.

Here, not in the features, live the rules that hold for every message:

- every request with a usable id (an integer or a string) gets exactly one reply: a request
  without ``"jsonrpc": "2.0"`` or with a method that is not a string gets InvalidRequest, a
  notification's method sent with an id MethodNotFound, each request in a batch (LSP has none)
  InvalidRequest, a broken frame whose id can be read ParseError;
- the lifecycle: before ``initialize`` requests get ServerNotInitialized and notifications are
  dropped (``exit`` excepted); ``initialize`` once; ``initialized`` handled once; after
  ``shutdown`` requests get InvalidRequest; ``exit`` ends the process with 0 after ``shutdown``
  and 1 without;
- a ``textDocument.uri`` that is not a URI, or a ``file:`` URI without an absolute path, is
  InvalidParams (a notification carrying one is dropped).

Document sync goes to hearth's own store (LSP line breaks, per-encoding columns), not pygls's
workspace, so each change is applied once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from concurrent.futures import InvalidStateError
from typing import Any, BinaryIO

import attrs
from lsprotocol import types
from lsprotocol.types import ResponseError
from pygls import uris
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from .framing import DEFAULT_MAX_MESSAGE, MB, FrameReader, Message, Rejected

log = logging.getLogger(__name__)

PARSE_ERROR = types.ErrorCodes.ParseError.value
INVALID_REQUEST = types.ErrorCodes.InvalidRequest.value
METHOD_NOT_FOUND = types.ErrorCodes.MethodNotFound.value
INVALID_PARAMS = types.ErrorCodes.InvalidParams.value
SERVER_NOT_INITIALIZED = types.ErrorCodes.ServerNotInitialized.value
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_READ_SIZE = 1024 * 1024
_IDLE_S = 0.25  # a body still short of its Content-Length after this long is checked once


class _Rejected:
    """A message that could not be read; already answered (or ignorable)."""

    jsonrpc = ""


class HearthProtocol(LanguageServerProtocol):
    def __init__(self, server: LanguageServer, converter: Any) -> None:
        super().__init__(server, converter)
        self.state = "starting"  # → "running" after initialize → "shut down" after shutdown
        self._initialized_seen = False
        self.exit_code: int | None = None  # set by ``exit``: the loop ends, the process exits
        self._told_client = 0.0

    # -- what the reader delivers ---------------------------------------------------------
    def receive(self, event: Message | Rejected) -> None:
        try:
            if isinstance(event, Rejected):
                self._rejected(event)
            elif isinstance(event.value, dict):
                self.receive_object(event.value)
            elif isinstance(event.value, list):
                self._batch(event.value)
            else:
                log.warning("ignoring a message that is not a JSON object")
        except BrokenPipeError:
            raise
        except Exception:  # a bug here must not end the loop that reads every later message
            log.exception("failed to handle a message")

    def receive_object(self, data: dict[str, Any]) -> None:
        method, msg_id = data.get("method"), data.get("id")
        is_request = "id" in data
        if "method" not in data:
            if is_request and ("result" in data or "error" in data):
                try:
                    self._forward(data)  # the client's reply to one of the server's requests
                except InvalidStateError:
                    log.info("a reply to %r came after the server stopped waiting", msg_id)
            else:
                log.warning("ignoring a message that is neither a request nor a response")
            return
        if is_request and not _usable_id(msg_id):
            log.warning("ignoring a request whose id cannot be answered: %r", msg_id)
            return
        refusal = self._refusal(data, is_request)
        if refusal is not None:
            self._refuse(msg_id if is_request else None, *refusal)
        elif method == types.EXIT:
            self.exit_code = 0 if self.state == "shut down" else 1
        elif not is_request and isinstance(method, str) and _is_request(method):
            log.warning("ignoring %s sent without an id: it is a request", method)
        else:
            self._forward({key: data[key] for key in ("jsonrpc", "id", "method", "params")
                           if key in data})

    def _refusal(self, data: dict[str, Any], is_request: bool) -> tuple[int, str] | None:
        """The error this message gets instead of being handled, if any."""
        method = data["method"]
        if not isinstance(method, str):
            return INVALID_REQUEST, "the method must be a string"
        if data.get("jsonrpc") != "2.0":
            return INVALID_REQUEST, f'{method}: only JSON-RPC "2.0" messages are accepted'
        if is_request and _is_notification(method):
            return METHOD_NOT_FOUND, f"{method} is a notification: it is sent without an id"
        if (refusal := self._lifecycle(method, is_request)) is not None:
            return refusal
        if (problem := _bad_document_uri(data.get("params"))) is not None:
            return INVALID_PARAMS, problem
        return None

    def _lifecycle(self, method: str, is_request: bool) -> tuple[int, str] | None:
        """Why the lifecycle refuses this message now (None: it goes ahead). For a
        notification the reason is only logged."""
        if method == types.EXIT:
            return None
        if self.state == "starting":
            if method == types.INITIALIZE:
                return None
            return SERVER_NOT_INITIALIZED, f"{method}: the server is not initialized yet"
        if self.state == "shut down":
            return INVALID_REQUEST, f"{method}: the server is shutting down"
        if method == types.INITIALIZE:
            return INVALID_REQUEST, "initialize was already received"
        if method == types.INITIALIZED and not is_request:
            if self._initialized_seen:
                return INVALID_REQUEST, "initialized was already received"
            self._initialized_seen = True
        if method == types.SHUTDOWN:
            self.state = "shut down"
        return None

    def _forward(self, data: dict[str, Any]) -> None:
        message = self.structure_message(data)
        if isinstance(message, _Rejected):
            return
        if data.get("method") == types.INITIALIZE:
            self.state = "running"  # only once its params were readable
        self.handle_message(message)

    # -- errors -----------------------------------------------------------------------------
    def structure_message(self, data: dict[str, Any]) -> Any:
        """Params that do not fit the method get InvalidParams, not silence."""
        try:
            return super().structure_message(data)
        except (JsonRpcInvalidParams, JsonRpcInternalError):
            if isinstance(data.get("method"), str) and _usable_id(data.get("id")):
                self._send_response(data["id"], error=ResponseError(
                    code=INVALID_PARAMS, message=f"invalid params for {data['method']}"))
            else:
                log.warning("ignoring %s: its params do not fit", data.get("method"))
            return _Rejected()

    def _refuse(self, msg_id: int | str | None, code: int, message: str) -> None:
        if msg_id is None:
            log.info("dropped a notification: %s", message)
            return
        log.info("refused request %r: %s", msg_id, message)
        self._send_response(msg_id, error=ResponseError(code=code, message=message))

    def _rejected(self, event: Rejected) -> None:
        log.warning("%s", event.reason)
        if event.request_id is not None:
            self._send_response(event.request_id, error=ResponseError(
                code=event.code, message=f"hearth: {event.reason}"))
        now = time.monotonic()
        if self.state != "starting" and now - self._told_client > 1.0:  # at most once a second
            self._told_client = now
            self.notify(types.WINDOW_LOG_MESSAGE, types.LogMessageParams(
                type=types.MessageType.Warning, message=f"hearth: {event.reason}"))

    def _batch(self, items: list[Any]) -> None:
        for item in items:
            if isinstance(item, dict) and "method" in item and _usable_id(item.get("id")):
                self._refuse(item["id"], INVALID_REQUEST, "LSP does not allow batches: send"
                             " each message in its own frame")
        log.warning("ignored a batch of %d messages", len(items))

    # -- document sync: hearth's store, not pygls's workspace ---------------------------------
    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams
                                    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams
                                      ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams
                                     ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


def _usable_id(value: Any) -> bool:
    """LSP ids are integers or strings; anything else cannot be answered."""
    return isinstance(value, int | str) and not isinstance(value, bool)


def _message_type(method: str) -> Any:
    return types.METHOD_TO_TYPES.get(method, (None,))[0]


def _is_notification(method: str) -> bool:
    kind = _message_type(method)
    return kind is not None and "id" not in attrs.fields_dict(kind)


def _is_request(method: str) -> bool:
    kind = _message_type(method)
    return kind is not None and "id" in attrs.fields_dict(kind)


def _bad_document_uri(params: Any) -> str | None:
    """What is wrong with ``params.textDocument.uri``, if it is a string and unusable."""
    document = params.get("textDocument") if isinstance(params, dict) else None
    uri = document.get("uri") if isinstance(document, dict) else None
    if not isinstance(uri, str):
        return None  # absent, or the wrong type: the params check reports that
    if not _SCHEME.match(uri):
        return f"not a URI: {uri[:200]!r}"
    if uri[:5].lower() == "file:":
        path = uris.to_fs_path(uri)
        if not path or not os.path.isabs(path):
            return f"not a file URI with an absolute path: {uri[:200]!r}"
    return None


# -- the loop that reads messages ----------------------------------------------------------------
def max_message_size() -> int:
    """HEARTH_MAX_MESSAGE_MB, or the default (128 MB)."""
    value = os.environ.get("HEARTH_MAX_MESSAGE_MB", "")
    try:
        size = int(float(value) * MB)
    except ValueError:
        return DEFAULT_MAX_MESSAGE
    return size if size > 0 else DEFAULT_MAX_MESSAGE


async def _pump(protocol: HearthProtocol, read: Callable[[], Awaitable[bytes]]) -> int:
    """Feed the frames from ``read()`` to the protocol until ``exit`` or the end of input;
    the exit code (end of input: as if ``exit`` had come)."""
    reader = FrameReader(max_message_size())
    while protocol.exit_code is None:
        try:
            if reader.waiting:
                chunk = await asyncio.wait_for(read(), _IDLE_S)
            else:
                chunk = await read()
        except TimeoutError:
            events = reader.idle()
        else:
            if not chunk:
                break
            events = reader.feed(chunk)
        for event in events:
            protocol.receive(event)
            if protocol.exit_code is not None:
                break
    return protocol.exit_code if protocol.exit_code is not None \
        else 0 if protocol.state == "shut down" else 1


def serve_stdio(server: LanguageServer, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """Serve LSP on stdin/stdout until ``exit``; the process's exit code."""
    protocol = server.protocol
    assert isinstance(protocol, HearthProtocol)
    protocol.set_writer(StdoutWriter(stdout))

    async def main() -> int:
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[bytes] = asyncio.Queue(maxsize=4)  # back-pressure on stdin

        read = _raw_reader(stdin)

        def read_stdin() -> None:  # a daemon thread: a blocked read never holds up the exit
            data = b"-"
            while data:
                try:
                    data = read()
                except (OSError, ValueError):
                    data = b""  # as the end of input
                try:
                    asyncio.run_coroutine_threadsafe(chunks.put(data), loop).result()
                except Exception:  # the loop is gone: the server is exiting
                    return

        threading.Thread(target=read_stdin, name="hearth-stdin", daemon=True).start()
        return await _pump(protocol, chunks.get)

    return _run(server, main)


def _raw_reader(stream: BinaryIO) -> Callable[[], bytes]:
    """Read the file descriptor itself: a buffered reader's lock, held by a thread blocked in a
    read, aborts the interpreter at exit."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return lambda: stream.read1(_READ_SIZE) if hasattr(stream, "read1") \
            else stream.read(_READ_SIZE)
    return lambda: os.read(fd, _READ_SIZE)


def serve_tcp(server: LanguageServer, host: str, port: int) -> int:
    """Serve LSP to the first client that connects to host:port, until it sends ``exit``."""
    protocol = server.protocol
    assert isinstance(protocol, HearthProtocol)

    async def main() -> int:
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            protocol.set_writer(writer)
            code = await _pump(protocol, lambda: reader.read(_READ_SIZE))
            if not done.done():
                done.set_result(code)

        listener = await asyncio.start_server(connection, host, port)
        async with listener:
            return await done

    return _run(server, main)


def _run(server: LanguageServer, main: Callable[[], Awaitable[int]]) -> int:
    async def guarded() -> int:
        try:
            return await main()
        except BrokenPipeError:
            log.error("the connection to the client is lost; shutting down")
            return 1

    try:
        return asyncio.run(guarded())
    except KeyboardInterrupt:
        return 1
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]
