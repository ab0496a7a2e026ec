"""The model's state as editors see it: ``hearth.status`` and the ``hearth/status`` notification.

The JSON is a contract with the editor clients: fields and states keep their meaning, new
fields may be added. ``loadError`` (null, or why the last load or reload failed) is set also
while the previous model keeps serving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .. import __version__
from ..index import IndexStats
from ..worker import WorkerStats

# "unavailable": loaded, but its inference server did not answer the last request; requests
# still go to it, and the first that succeeds makes the state "ready" again.
State = Literal["unloaded", "loading", "ready", "unavailable", "error"]


@dataclass(frozen=True)
class ModelStatus:
    state: State = "unloaded"
    message: str = ""
    model: str = ""  # display name
    path: str = ""
    engine: str = ""
    template: str = ""
    load_ms: float = 0.0
    warm_up_ms: float = 0.0
    last_latency_ms: float | None = None
    load_error: str = ""  # the last load or reload that failed ("" when it worked)

    def as_json(self) -> dict[str, object]:
        return {
            "state": self.state, "message": self.message, "model": self.model,
            "path": self.path, "engine": self.engine, "template": self.template,
            "loadMs": round(self.load_ms, 1), "warmUpMs": round(self.warm_up_ms, 1),
            "lastLatencyMs": None if self.last_latency_ms is None
            else round(self.last_latency_ms, 1),
            "loadError": self.load_error or None,
        }


def status_json(status: ModelStatus, busy: bool, stats: WorkerStats,
                index: IndexStats | None) -> dict[str, object]:
    data = status.as_json()
    data.update(
        version=__version__,
        busy=busy,
        generations={"started": stats.started, "completed": stats.completed,
                     "cancelled": stats.cancelled, "dropped": stats.dropped,
                     "failed": stats.failed},
        workerRestarts=stats.restarts,
        lastStopLatencyMs=None if stats.last_stop_latency_ms is None
        else round(stats.last_stop_latency_ms, 2),
    )
    if index is not None:
        data["index"] = {"files": index.files, "symbols": index.symbols,
                         "pending": index.pending,
                         "scanMs": None if index.scan_ms is None else round(index.scan_ms, 1)}
    return data
