"""How many developers this machine (or the configured server) serves typing at once, by the
short version of ``make bench-team``: simulated editors through hearth's HTTP engine."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings

MEASURE_SECONDS = 4.0
SERVER_LEVELS = (1, 2, 4)  # a shared server is measured gently


@dataclass
class Capacity:
    server: str  # what was measured: the built llama-server with the model, or the URL
    slots: int  # parallel slots of the measured server (0: not known)
    developers: int  # the most typing at once with p95 within the budget
    budget_ms: int
    levels: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""  # why it was not measured, when it was not


def measure_capacity(settings: Settings, model: Path | None) -> Capacity:
    from ..capacity import BUDGET_MS, client_settings, developers_served, sweep
    from ..llama_server import LlamaServerError, find_binary
    from ..team_server import max_slots, measure_levels

    if settings.engine == "http":
        points = sweep(client_settings(settings.server_url, settings.api_key_env),
                       SERVER_LEVELS, MEASURE_SECONDS, stop_when_over=True)
        return Capacity(settings.server_url, 0, developers_served(points), BUDGET_MS,
                        [asdict(p) for p in points])
    if model is None:
        return Capacity("", 0, 0, BUDGET_MS, note="no model to measure")
    try:
        binary = find_binary()
    except LlamaServerError as exc:
        return Capacity("", 0, 0, BUDGET_MS, note=str(exc))
    context, slots = max_slots(model, None)
    points = measure_levels(binary, model, context, 0, slots, MEASURE_SECONDS)
    return Capacity(f"llama-server ({binary})", slots, developers_served(points), BUDGET_MS,
                    [asdict(p) for p in points])
