"""HTTP to an inference server on the LAN: one connection per request, streamed, cancellable.

Built on the standard library so that what goes over the wire is fully ours: no proxy variables
are honoured (traffic goes only to the configured address), TLS uses the system's trust store or
the configured CA bundle, and a cancelled request closes its socket at once, which is how
inference servers notice that nobody waits for the rest of a generation (a non-streaming request
keeps the server busy after a disconnect).
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from .. import __version__
from .base import CancelToken, EngineError, EngineUnavailable

MAX_LINE = 1 << 20  # one server-sent event line; longer ones are not a completion stream
MAX_ERROR_BODY = 64 << 10
POLL_S = 0.05  # how often a blocked connect or a watcher looks at the cancel token


class ServerUnavailable(EngineUnavailable):
    """The server could not be reached, or stopped answering."""


class ServerError(EngineError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class BadReply(EngineError):
    """The server answered something that is not the expected JSON or event stream."""


class Stopped(Exception):
    """The cancel token fired (cancelled or past its deadline) while a request was under way."""


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str
    port: int
    base_path: str  # without a trailing slash; "" at the root

    @staticmethod
    def parse(url: str) -> Endpoint:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EngineError(f"hearth.serverUrl must be an http:// or https:// address, got"
                              f" {url!r}")
        if parts.username or parts.password:
            raise EngineError("hearth.serverUrl must not contain credentials: put the token in"
                              " an environment variable and name it in hearth.apiKeyEnv")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise EngineError(f"hearth.serverUrl has a bad port: {url!r}") from exc
        path = parts.path.rstrip("/")
        # "http://host:8080/v1" is how OpenAI-style clients are usually configured.
        path = path.removesuffix("/v1")
        return Endpoint(parts.scheme, parts.hostname, port, path)

    @property
    def display(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.base_path}"


class HttpTransport:
    def __init__(self, url: str, *, token: str = "", ca_bundle: str = "",
                 connect_timeout: float = 2.0, read_timeout: float = 30.0,
                 retries: int = 2) -> None:
        self.endpoint = Endpoint.parse(url)
        self._token = token
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self._tls: ssl.SSLContext | None = None
        if self.endpoint.scheme == "https":
            try:
                self._tls = ssl.create_default_context(cafile=ca_bundle or None)
            except (OSError, ssl.SSLError) as exc:
                raise EngineError(f"cannot use hearth.caBundle {ca_bundle}: {exc}") from exc

    # -- requests ---------------------------------------------------------------------------
    def get_json(self, path: str, cancel: CancelToken | None = None) -> Any:
        with self.request("GET", path, None, cancel) as reply:
            return reply.json()

    def post_json(self, path: str, body: dict[str, Any], cancel: CancelToken | None = None
                  ) -> Any:
        with self.request("POST", path, body, cancel) as reply:
            return reply.json()

    def stream(self, path: str, body: dict[str, Any], cancel: CancelToken | None = None
               ) -> Reply:
        return self.request("POST", path, body, cancel, accept="text/event-stream")

    def request(self, method: str, path: str, body: dict[str, Any] | None,
                cancel: CancelToken | None, accept: str = "application/json") -> Reply:
        """Send one request; the reply must be closed (use it as a context manager).

        Raises ``ServerUnavailable`` if no connection could be made, ``ServerError`` for an
        HTTP error status, ``Stopped`` if ``cancel`` fired first.
        """
        sock = self._connect(cancel)
        watch = _Watch(sock, cancel) if cancel is not None else None
        conn = http.client.HTTPConnection(self.endpoint.host, self.endpoint.port,
                                          timeout=self.read_timeout)
        try:
            if self._tls is not None:
                sock = self._handshake(sock, cancel)
                if watch is not None:
                    watch.sock = sock
            conn.sock = sock
            payload = None if body is None else json.dumps(body).encode("utf-8")
            headers = {"Accept": accept, "User-Agent": f"hearth-lsp/{__version__}"}
            if payload is not None:
                headers["Content-Type"] = "application/json"
            if self._token:
                headers["Authorization"] = f"Bearer {self._token}"
            conn.request(method, self.endpoint.base_path + path, body=payload, headers=headers)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            if watch is not None:
                watch.stop()
            if cancel is not None and cancel.should_stop():
                raise Stopped from exc
            raise self._failure(exc, path) from exc
        except BaseException:
            conn.close()
            if watch is not None:
                watch.stop()
            raise
        reply = Reply(self, path, conn, response, watch, cancel)
        if response.status >= 400:
            reply.raise_for_status()
        return reply

    # -- connecting -------------------------------------------------------------------------
    def _connect(self, cancel: CancelToken | None) -> socket.socket:
        """A TCP connection; a refused one is tried again with backoff (nothing was sent)."""
        for attempt in range(self.retries + 1):
            try:
                return self._open(cancel)
            except ConnectionRefusedError as exc:
                if attempt == self.retries:
                    raise self._unreachable(exc) from exc
                pause = 0.1 * (2 ** attempt)
                if cancel is not None:
                    if cancel.wait(pause) or cancel.should_stop():
                        raise Stopped from exc
                else:
                    time.sleep(pause)
            except (OSError, UnicodeError) as exc:
                raise self._unreachable(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _open(self, cancel: CancelToken | None) -> socket.socket:
        host, port = self.endpoint.host, self.endpoint.port
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        error: OSError = OSError(errno.EHOSTUNREACH, f"no address for {host}")
        for family, kind, proto, _name, address in addresses:
            sock = socket.socket(family, kind, proto)
            try:
                self._connect_one(sock, address, cancel)
            except Stopped:
                sock.close()
                raise
            except OSError as exc:
                sock.close()
                error = exc
                continue
            sock.settimeout(self.read_timeout)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        raise error

    def _connect_one(self, sock: socket.socket, address: Any, cancel: CancelToken | None
                     ) -> None:
        """A non-blocking connect that gives up on ``cancel`` or after the connect timeout."""
        sock.setblocking(False)
        code = sock.connect_ex(address)
        if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
            raise OSError(code, _strerror(code))
        end = time.monotonic() + self.connect_timeout
        while code != 0:
            if cancel is not None and cancel.should_stop():
                raise Stopped
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(errno.ETIMEDOUT, "connection timed out")
            _, writable, _ = select.select([], [sock], [], min(left, POLL_S))
            if writable:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    raise OSError(code, _strerror(code))
                break
        sock.setblocking(True)

    def _handshake(self, sock: socket.socket, cancel: CancelToken | None) -> socket.socket:
        assert self._tls is not None
        try:
            return self._tls.wrap_socket(sock, server_hostname=self.endpoint.host)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise ServerUnavailable(
                f"the inference server at {self.endpoint.display} has a certificate this"
                f" machine does not trust ({exc.verify_message}); set hearth.caBundle to your"
                " organisation's CA file") from exc
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            if cancel is not None and cancel.should_stop():
                raise Stopped from exc
            raise ServerUnavailable(f"TLS with {self.endpoint.display} failed: {exc}") from exc

    # -- messages ---------------------------------------------------------------------------
    def _unreachable(self, exc: BaseException) -> ServerUnavailable:
        if isinstance(exc, socket.gaierror):
            reason = f"cannot resolve {self.endpoint.host} ({exc.strerror})"
        elif isinstance(exc, TimeoutError):
            reason = f"no answer within {self.connect_timeout:g} s"
        elif isinstance(exc, ConnectionRefusedError):
            reason = "connection refused: is the server running?"
        else:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return ServerUnavailable(
            f"cannot reach the inference server at {self.endpoint.display}: {reason}"
            " (hearth.serverUrl)")

    def _failure(self, exc: BaseException, path: str) -> EngineError:
        if isinstance(exc, TimeoutError):
            return ServerUnavailable(
                f"the inference server at {self.endpoint.display} sent nothing for"
                f" {self.read_timeout:g} s ({path})")
        if isinstance(exc, EngineError):
            return exc
        what = str(exc) or type(exc).__name__
        return ServerUnavailable(
            f"the connection to the inference server at {self.endpoint.display} broke ({path}:"
            f" {what})")


class Reply:
    """An HTTP response being read; closing it closes the connection."""

    def __init__(self, transport: HttpTransport, path: str, conn: http.client.HTTPConnection,
                 response: http.client.HTTPResponse, watch: _Watch | None,
                 cancel: CancelToken | None) -> None:
        self._transport = transport
        self.path = path
        self._conn = conn
        self.response = response
        self._watch = watch
        self._cancel = cancel

    def __enter__(self) -> Reply:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._watch is not None:
            self._watch.stop()
        self._conn.close()

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def content_type(self) -> str:
        return (self.response.getheader("Content-Type") or "").split(";")[0].strip().lower()

    def raise_for_status(self) -> None:
        status = self.response.status
        try:
            raw = self.response.read(MAX_ERROR_BODY)
        except (OSError, http.client.HTTPException):
            raw = b""
        finally:
            self.close()
        detail = _error_detail(raw) or self.response.reason
        where = f"the inference server at {self._transport.endpoint.display}"
        if status in (401, 403):
            hint = ("it needs a token: name the environment variable holding it in"
                    " hearth.apiKeyEnv" if not self._transport._token else
                    "check the token in the environment variable named by hearth.apiKeyEnv")
            message = f"{where} refused access ({status} {detail}); {hint}"
        elif status == 404:
            message = (f"{where} has no {self.path} ({detail}); is hearth.serverUrl the address"
                       " of an OpenAI-compatible server?")
        else:
            message = f"{where} answered {status} to {self.path}: {detail}"
        raise ServerError(message, status, detail)

    def json(self) -> Any:
        """The whole body as JSON."""
        try:
            raw = self._read_all()
        finally:
            self.close()
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._garbage(raw) from exc

    def _read_all(self) -> bytes:
        try:
            return self.response.read()
        except (OSError, http.client.HTTPException) as exc:
            if self._cancel is not None and self._cancel.should_stop():
                raise Stopped from exc
            raise self._transport._failure(exc, self.path) from exc

    def events(self) -> Iterator[dict[str, Any]]:
        """The JSON objects of a server-sent event stream, up to ``[DONE]`` or the end.

        A server that ignores ``stream`` and answers one JSON object yields that object. Fields
        other than ``data`` (``event``, ``id``, ``retry`` and unknown ones) are ignored, as the
        SSE specification says; a body with none of its lines a data field is no event stream.
        """
        if self.content_type == "application/json":
            yield self._object(self._read_all())
            return
        data: list[str] = []
        seen_data = False
        first_other = b""
        while True:
            line = self._readline()
            if not line:
                if data:
                    yield self._object("\n".join(data).encode())
                elif not seen_data and first_other:
                    raise self._garbage(first_other)
                return
            text = line.rstrip(b"\r\n").decode("utf-8", "replace")
            if not text:
                if data:
                    payload = "\n".join(data)
                    data = []
                    if payload.strip() == "[DONE]":
                        return
                    yield self._object(payload.encode())
                continue
            if text.startswith(":"):
                continue  # a comment: the keep-alive pings some servers send
            name, _, value = text.partition(":")
            if name == "data":
                seen_data = True
                data.append(value[1:] if value.startswith(" ") else value)
            elif not first_other:
                first_other = line

    def _readline(self) -> bytes:
        try:
            line = self.response.readline(MAX_LINE)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if self._cancel is not None and self._cancel.should_stop():
                raise Stopped from exc
            raise self._transport._failure(exc, self.path) from exc
        if not line and self._cancel is not None and self._cancel.should_stop():
            raise Stopped
        if len(line) >= MAX_LINE:
            raise self._garbage(line)
        return line

    def _object(self, raw: bytes) -> dict[str, Any]:
        try:
            value = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._garbage(raw) from exc
        if not isinstance(value, dict):
            raise self._garbage(raw)
        return value

    def _garbage(self, raw: bytes) -> BadReply:
        sample = raw[:80].decode("utf-8", "replace").strip()
        kind = self.content_type or "no content type"
        return BadReply(
            f"the inference server at {self._transport.endpoint.display} sent an unreadable"
            f" reply to {self.path} ({kind}: {sample!r}); is it an OpenAI-compatible server?")


class _Watch:
    """Shuts the socket down when the cancel token fires, which wakes a blocked read at once
    and tells the server to stop generating."""

    def __init__(self, sock: socket.socket, cancel: CancelToken | None) -> None:
        self.sock = sock
        self._cancel = cancel
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hearth-http-cancel", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        cancel = self._cancel
        if cancel is None:
            return
        while not self._done.is_set():
            if cancel.should_stop():
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                return
            timeout = POLL_S
            if cancel.deadline is not None:
                timeout = max(0.0, min(timeout, cancel.deadline - time.monotonic()))
            cancel.wait(timeout)

    def stop(self) -> None:
        self._done.set()


def _strerror(code: int) -> str:
    import os

    return os.strerror(code)


def _error_detail(raw: bytes) -> str:
    """The message of an error body: OpenAI's, llama.cpp's and FastAPI's shapes, or its text."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text[:200]
    if isinstance(value, dict):
        error = value.get("error", value.get("detail", value.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error is not None:
            return str(error)[:200]
    return text[:200]
