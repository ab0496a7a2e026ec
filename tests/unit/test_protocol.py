"""The protocol layer in-process, for what the stdio tests cannot time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lsprotocol import types

from lsp_server.protocol import HearthProtocol
from lsp_server.server import HearthServer, create_server


class Discard:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def server() -> Iterator[HearthServer]:
    hearth = create_server()
    hearth.protocol.set_writer(Discard())
    yield hearth
    hearth.shutdown()


def test_a_reply_after_the_server_gave_up_waiting_is_ignored(server: HearthServer) -> None:
    """A client that answers window/workDoneProgress/create after the server's timeout."""
    protocol = server.protocol
    assert isinstance(protocol, HearthProtocol)
    waiting = protocol.send_request(types.WINDOW_WORK_DONE_PROGRESS_CREATE,
                                    types.WorkDoneProgressCreateParams(token="t"), msg_id="x1")
    waiting.cancel()
    protocol.receive_object({"jsonrpc": "2.0", "id": "x1", "result": None})
    protocol.receive_object({"jsonrpc": "2.0", "id": "x1", "result": None})  # unknown by now
