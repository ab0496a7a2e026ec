"""The human-readable doctor report."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .advice import _gb
from .speed import BUDGET_MS, SUGGESTION_TOKENS

if TYPE_CHECKING:
    from . import Report


def render(report: Report) -> str:
    m, model, speed = report.machine, report.model, report.speed
    lines = [f"hearth-lsp {report.version} doctor", "", "Machine"]
    lines.append(f"  CPU            {m.cpu} ({m.architecture})")
    lines.append(f"  vector units   {', '.join(m.vector_extensions) or 'none detected'}")
    lines.append(f"  cores          {m.physical_cores} physical, {m.logical_cores} logical, "
                 f"{m.usable_cores} usable")
    ram = f"{_gb(m.ram_total)} total, {_gb(m.ram_available)} available"
    if m.memory_limit:
        ram += f", limited to {_gb(m.memory_limit)} (cgroup)"
    lines.append(f"  memory         {ram}")
    lines.append(f"  free disk      {_gb(m.disk_free)} (where the model is)")
    if m.llama_cpp_build:
        lines.append(f"  llama.cpp      {_shorten(m.llama_cpp_build, 90)}")
    lines += ["", "Model"]
    lines.append(f"  engine         {model.engine}")
    lines.append(f"  {'server' if model.engine == 'http' else 'file':<14} {model.source}")
    if model.name or model.architecture:
        lines.append(f"  model          {model.name or '?'} ({model.architecture or '?'}"
                     f"{', ' + model.parameters if model.parameters else ''})")
    if model.file_size:
        lines.append(f"  file size      {_gb(model.file_size)}")
    lines.append(f"  quantisation   {model.quantization or 'unknown'}")
    if model.context_length or model.context_size:
        lines.append(f"  context        {model.context_length or '?'} trained, "
                     f"{model.context_size or '?'} configured")
    if model.estimated_memory:
        lines.append(f"  memory needed  about {_gb(model.estimated_memory)} "
                     f"(KV cache {_gb(model.kv_cache_bytes)})")
    if model.sha256:
        lines.append(f"  SHA-256        {model.sha256}")
    if model.server:
        lines.append(f"  server         {model.server.get('kind', '?')}, API "
                     f"{model.server.get('api', '?')}, tokenizer "
                     f"{model.server.get('tokenizer') or 'none'}")
    if model.error:
        lines.append(f"  problem        {model.error}")
    if speed is not None:
        threads = f"{speed.threads} thread{'s' if speed.threads != 1 else ''}"
        lines += ["", f"Measured ({threads})" if model.engine != "http"
                  else "Measured (through the server)"]
        lines.append(f"  load           {speed.load_ms:.0f} ms")
        lines.append(f"  prompt         {speed.prompt_tokens_per_s:.0f} tokens/s "
                     f"({speed.prompt_tokens} tokens in {speed.prompt_ms:.0f} ms)")
        lines.append(f"  generation     {speed.generate_tokens_per_s:.0f} tokens/s "
                     f"({speed.generated_tokens} tokens in {speed.generate_ms:.0f} ms)")
        lines.append(f"  keystroke      {speed.keystroke_ms:.0f} ms (cached prompt + 1 character,"
                     f" {SUGGESTION_TOKENS} tokens)")
    capacity = report.capacity
    if capacity is not None and capacity.levels:
        lines += ["", f"Developers typing at once ({capacity.server}; p95 budget"
                  f" {capacity.budget_ms} ms)"]
        for level in capacity.levels:
            mark = "ok " if level["p95_ms"] <= capacity.budget_ms and not level["failed"] \
                else "-- "
            lines.append(f"  {mark}{level['editors']:>2} typing   p50 {level['p50_ms']:.0f} ms,"
                         f" p95 {level['p95_ms']:.0f} ms, {level['answered']} answered,"
                         f" {level['cancelled']} cancelled")
    if report.sizes:
        lines += ["", f"Estimated for other models (Q4_K_M, {BUDGET_MS} ms budget)"]
        for s in report.sizes:
            mark = "ok " if s.within_budget and s.fits_memory else "-- "
            why = "" if s.fits_memory else ", does not fit in memory"
            lines.append(f"  {mark}{s.model:<32} keystroke ~{s.keystroke_ms} ms, new file "
                         f"~{s.cold_ms} ms, needs ~{_gb(s.memory)}{why}")
    lines += ["", "Recommendation"]
    lines += [f"  - {line}" for line in report.recommendation] or ["  - nothing to report"]
    return "\n".join(lines)


def _shorten(text: str, width: int) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= width else text[: width - 1] + "…"
