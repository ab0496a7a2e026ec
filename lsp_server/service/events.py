"""How the model service talks to whoever hosts it (the LSP server, a test, the CLI), in plain
Python types: messages for the user, progress, and the log. ``server.py`` adapts these to
``window/showMessage``, ``$/progress`` and ``window/logMessage``."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Protocol


class Level(Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Progress(Protocol):
    def report(self, message: str, percentage: int | None = None) -> None: ...

    def end(self, message: str = "") -> None: ...


class Listener(Protocol):
    def show(self, level: Level, message: str) -> None:
        """A message the user should see (a pop-up or the editor's message area)."""

    def log(self, level: Level, message: str) -> None:
        """A line for the editor's log of this server."""

    async def begin_progress(self, title: str, message: str, *,
                             on_cancel: Callable[[], None] | None = None) -> Progress:
        """Progress shown while something runs; with ``on_cancel`` the user may cancel it
        (called on the event loop)."""


class NoProgress:
    def report(self, message: str, percentage: int | None = None) -> None:
        pass

    def end(self, message: str = "") -> None:
        pass
