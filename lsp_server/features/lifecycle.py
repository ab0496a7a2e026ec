"""initialize / initialized / configuration changes."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from ..server import HearthServer  # at run time: pygls reads handler annotations
from .workspace import exclude_changed, start_workspace_index


def register(server: HearthServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: HearthServer, params: types.InitializeParams) -> None:
        ls.init_options = params.initialization_options
        ls.locale = params.locale or "en"
        ls.set_position_encoding(ls.workspace.position_encoding)
        ls.pending_errors = ls.apply_settings(None)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: HearthServer, params: types.InitializedParams) -> None:
        if ls.pending_errors:
            ls.show(types.MessageType.Warning,
                    "hearth: invalid settings: " + "; ".join(ls.pending_errors))
            ls.pending_errors = []
        start_workspace_index(ls)
        await ls.service.load_model()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: HearthServer,
                                       params: types.DidChangeConfigurationParams) -> None:
        settings: Any = params.settings
        if settings is None or settings == {}:
            settings = await _pull_configuration(ls)
        exclude = ls.settings.exclude
        errors = ls.apply_settings(settings)
        if ls.settings.exclude != exclude:
            exclude_changed(ls)
        if errors:
            ls.show(types.MessageType.Warning, "hearth: invalid settings: " + "; ".join(errors))


async def _pull_configuration(ls: HearthServer) -> Any:
    """Ask the client for the "hearth" section, for clients that send empty change events."""
    workspace = ls.client_capabilities.workspace
    if workspace is None or not workspace.configuration:
        return None
    try:
        result = await ls.workspace_configuration_async(types.ConfigurationParams(
            items=[types.ConfigurationItem(section="hearth")]))
    except Exception:
        return None
    return result[0] if result else None
