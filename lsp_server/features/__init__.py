"""One module per LSP feature; each exposes ``register(server)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..server import HearthServer


def register_all(server: HearthServer) -> None:
    from . import (
        code_actions,
        completion,
        diagnostics,
        explain,
        lifecycle,
        status,
        sync,
        workspace,
    )

    for feature in (lifecycle, sync, completion, status, code_actions, explain, diagnostics,
                    workspace):
        feature.register(server)
