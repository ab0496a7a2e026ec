"""The ``hearth.status`` command: model, engine, load state and last latency, for the clients."""

from __future__ import annotations

from typing import Any

from ..server import HearthServer  # at run time: pygls reads handler annotations

STATUS_COMMAND = "hearth.status"


def register(server: HearthServer) -> None:
    @server.command(STATUS_COMMAND)
    def status(ls: HearthServer, *args: Any) -> dict[str, object]:
        return ls.status_json()
