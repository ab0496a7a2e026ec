"""What every part of ``make eval`` shares: the engines, scores, tables, running a checker,
and the machine's load (the machine may be shared, and timings under load are slower)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lsp_server.config import Settings  # noqa: E402
from lsp_server.engines.base import CancelToken, Engine, GenerationParams, Prompt  # noqa: E402
from lsp_server.index import WorkspaceIndex  # noqa: E402
from lsp_server.models import embedded_model_path, load_engine  # noqa: E402
from lsp_server.pipeline import CompletionPipeline  # noqa: E402
from lsp_server.prompts import choose_completion_template, completion_templates  # noqa: E402

TEST_TIMEOUT_S = 3.0


@dataclass
class Score:
    """One approach on one task set: how many pass, how many match exactly, and how long each
    took (wall time of the call)."""

    name: str
    passed: int = 0
    exact: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, ok: bool, exact: bool, seconds: float) -> None:
        self.passed += ok
        self.exact += exact
        self.latencies.append(seconds * 1000)

    def row(self, total: int) -> list[str]:
        lat = sorted(self.latencies) or [0.0]
        return [self.name, f"{self.passed / total:.3f}", f"{self.exact / total:.3f}",
                f"{statistics.median(lat):.0f}", f"{lat[int(len(lat) * 0.9)]:.0f}"]

    def summary(self, total: int) -> dict[str, float]:
        lat = sorted(self.latencies) or [0.0]
        return {"pass@1": self.passed / total, "exact": self.exact / total,
                "p50_ms": statistics.median(lat), "p90_ms": lat[int(len(lat) * 0.9)]}


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def comparison(title: str, naive: Score, hearth: Score, total: int) -> str:
    ratio = hearth.passed / naive.passed if naive.passed else float("inf")
    return (f"\n{title} ({total} tasks)\n"
            + table([["approach", "pass@1", "exact", "p50 ms", "p90 ms"],
                     naive.row(total), hearth.row(total)])
            + f"\nhearth / naive pass@1: {ratio:.2f}x")


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def run_program(argv: list[str], cwd: str | None = None,
                timeout: float = TEST_TIMEOUT_S) -> bool:
    """Whether a checker exits with 0 within ``timeout`` seconds."""
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout,
                              cwd=cwd or tempfile.gettempdir())
        return done.returncode == 0
    except subprocess.TimeoutExpired:
        return False


def run_python_source(program: str) -> bool:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(program)
        path = f.name
    try:
        return run_program([sys.executable, path])
    finally:
        os.unlink(path)


@dataclass
class Models:
    """One engine for the naive baseline and one for the pipeline, so neither benefits from
    the other's KV cache."""

    settings: Settings
    naive: Engine
    engine: Engine
    pipeline: CompletionPipeline

    def pipeline_with(self, index: WorkspaceIndex | None) -> CompletionPipeline:
        """The pipeline on the same engine, with a workspace index."""
        return CompletionPipeline(self.engine, self.pipeline.template, self.settings, index)

    def deadline(self) -> CancelToken:
        """The server's time budget for one completion."""
        return CancelToken(time.monotonic() + self.settings.time_budget_ms / 1000)


def load_models(settings: Settings) -> Models:
    settings = replace(settings, model_path=settings.model_path or str(embedded_model_path()))
    naive = load_engine(settings)
    engine = load_engine(settings)
    template = choose_completion_template(completion_templates(), engine.info, engine)
    pipeline = CompletionPipeline(engine, template, settings)
    warm = Prompt.plain("def add(a, b):\n    return a + b\n")
    for e in (naive, engine):  # warmed up as the server does
        prepare = getattr(e, "prepare", None)
        if callable(prepare):
            prepare()
        e.generate(warm, GenerationParams(max_tokens=4), CancelToken())
    return Models(settings, naive, engine, pipeline)
