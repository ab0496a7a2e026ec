"""The protocol-free middle of the server: the model service (service.py) with the loaded
model it owns (model_host.py), its status (status.py) and how it talks to its host
(events.py). Nothing here knows LSP; ``server.py`` adapts it to pygls."""

from __future__ import annotations

from .events import Level, Listener, NoProgress, Progress
from .model_host import ModelHost
from .service import ModelService, ServiceUnavailable
from .status import ModelStatus, State

__all__ = [
    "Level", "Listener", "ModelHost", "ModelService", "ModelStatus",
    "NoProgress", "Progress", "ServiceUnavailable", "State",
]
