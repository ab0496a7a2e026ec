"""pygls keeps the future of every handler it runs in ``_request_futures`` (so a request can
be cancelled), but only a request's is removed when it is answered. Notifications
(``didOpen``, ``didChange``, ``didClose``, ``didChangeConfiguration`` ...) and the steps of
generator handlers (pygls' built-in ones, which then call hearth's) stay there for good: about
1.5 KB per keystroke, forever. This mixin removes each of those once it is done, on the
event loop's next turn: a future can finish while pygls walks the table (``shutdown`` cancels
every running handler), and the table must not change under that walk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pygls.protocol import JsonRPCProtocol


class ForgetFinishedHandlers(JsonRPCProtocol):
    def _execute_handler(self, msg_id: Any, handler: Callable[..., Any],
                         callback: Callable[[Future[Any]], None],
                         args: tuple[Any, ...] | None = None,
                         kwargs: dict[str, Any] | None = None) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        if getattr(callback, "func", None) == self._send_handler_result:
            return  # a request: removed when its answer is sent
        future: Future[Any] | None = self._request_futures.get(msg_id)
        if future is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # handled outside a loop (tests): nothing walks the table
            future.add_done_callback(lambda _done: self._request_futures.pop(msg_id, None))
            return

        def forget(_done: Future[Any]) -> None:
            with contextlib.suppress(RuntimeError):  # a closed loop: the server is going away
                loop.call_soon_threadsafe(self._request_futures.pop, msg_id, None)

        future.add_done_callback(forget)
