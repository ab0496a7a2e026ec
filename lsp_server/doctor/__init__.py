"""``hearth-lsp doctor``: what this machine can serve, measured rather than guessed.

Reports the CPU (model, the vector units llama.cpp uses), cores, memory, free disk, the
configured model (file size, quantisation, context length, estimated memory), the speed of a
short real run with the configured engine, how many developers typing at once this machine
serves as a team server (or the configured server serves), and a plain recommendation: which
model sizes answer a keystroke within the completion budget here, and whether a LAN inference
server would serve better.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Settings
from ..engines.base import EngineError
from .advice import recommend
from .machine import Machine, machine_facts
from .model import ModelReport, fill_from_server, model_report
from .render import render
from .speed import SizeEstimate, Speed, measure_speed, size_estimates
from .team import Capacity, measure_capacity

__all__ = ["Report", "recommend", "render", "run"]


@dataclass
class Report:
    version: str
    machine: Machine
    model: ModelReport
    speed: Speed | None
    sizes: list[SizeEstimate]
    capacity: Capacity | None
    recommendation: list[str]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def run(settings: Settings, measure: bool = True, team: bool = True) -> Report:
    from ..models import load_engine

    model, path = model_report(settings)
    where = path.parent if path is not None else Path.home()
    machine = machine_facts(where)
    speed: Speed | None = None
    capacity: Capacity | None = None
    usable = not model.error and not model.sha256.startswith("MISMATCH")
    if usable and measure:
        start = time.monotonic()
        try:
            engine = load_engine(settings)
        except EngineError as exc:
            model.error = str(exc)
        else:
            load_ms = (time.monotonic() - start) * 1000
            try:
                if model.engine == "http":
                    fill_from_server(model, engine)
                speed = measure_speed(engine, settings.threads, load_ms)
            except EngineError as exc:
                model.error = f"the measuring run failed: {exc}"
            finally:
                engine.close()
    if usable and measure and team and not model.error:
        try:
            capacity = measure_capacity(settings, path)
        except EngineError as exc:
            capacity = Capacity("", 0, 0, 0, note=f"the capacity run failed: {exc}")
    sizes = size_estimates(machine, model, speed) if speed is not None else []
    return Report(__version__, machine, model, speed, sizes, capacity,
                  recommend(machine, model, speed, sizes, capacity, settings))
