"""What the measurements mean for this team: plain recommendations."""

from __future__ import annotations

from ..config import Settings
from .machine import Machine
from .model import ModelReport
from .speed import BUDGET_MS, CANDIDATE_PARAMS, FIM_QUALITY_SIZE, SizeEstimate, Speed
from .team import Capacity


def recommend(machine: Machine, model: ModelReport, speed: Speed | None,
              sizes: list[SizeEstimate], capacity: Capacity | None,
              settings: Settings) -> list[str]:
    advice: list[str] = []
    if model.error:
        advice.append(f"The configured model cannot be used: {model.error}")
    if model.sha256.startswith("MISMATCH"):
        advice.append("The model file is not the one your configuration expects (SHA-256); "
                      "replace it or update hearth.modelSha256.")
    flags = set(machine.vector_extensions)
    # Only llama.cpp's own report counts: without it nothing is known about AVX2.
    if machine.llama_cpp_build and machine.architecture in ("x86_64", "AMD64") \
            and "avx2" not in flags:
        advice.append("llama.cpp here does not use AVX2 (its system info says so): it runs "
                      "several times slower without it; a LAN inference server will serve "
                      "much better.")
    cores = machine.usable_cores
    if settings.engine != "http" and cores and settings.threads >= cores:
        advice.append(f"hearth.threads is {settings.threads} on {cores} usable cores: generation "
                      "collapses when anything else runs; use "
                      f"{max(1, cores - 1)}.")
    memory = machine.memory_limit or machine.ram_available
    if model.estimated_memory and memory and model.estimated_memory > memory:
        advice.append(f"The model needs about {_gb(model.estimated_memory)} but only "
                      f"{_gb(memory)} is available: expect swapping or a failed load.")
    if capacity is not None:
        advice.append(_capacity_line(capacity, model))
    if speed is None:
        return advice
    verdict = "within" if speed.keystroke_ms <= BUDGET_MS else "over"
    where = "the server" if model.engine == "http" else "this machine"
    advice.append(f"A keystroke's suggestion took {speed.keystroke_ms:.0f} ms on {where} with "
                  f"{model.name or model.source}: {verdict} the {BUDGET_MS} ms budget.")
    if model.engine == "http":
        if speed.keystroke_ms > BUDGET_MS:
            advice.append("The server is too slow for ghost text: a smaller model, a GPU, or "
                          "fewer users per server would help.")
        return advice
    if not sizes:
        if model.file_size < 50e6:
            advice.append("The model is too small to extrapolate other sizes from; run doctor "
                          "with a real model (the embedded one: leave --model out).")
        return advice
    fitting = [s for s in sizes if s.within_budget and s.fits_memory]
    if fitting:
        best = fitting[-1]
        advice.append(f"This machine can serve models up to {best.model} within {BUDGET_MS} ms "
                      f"per suggestion (about {best.keystroke_ms} ms a keystroke, "
                      f"{best.cold_ms} ms for a new file's first; estimated from the measured "
                      "speed).")
    else:
        advice.append(f"No code model of 0.5B or more answers within {BUDGET_MS} ms here"
                      + ("; keep the model you measured." if speed.keystroke_ms <= BUDGET_MS
                         else "."))
    largest = max((CANDIDATE_PARAMS[i] for i, s in enumerate(sizes)
                   if s.within_budget and s.fits_memory), default=0.0)
    if largest < FIM_QUALITY_SIZE:
        advice.append("A LAN inference server would serve better: fill-in-the-middle code models "
                      "of 1.5B and up (Qwen2.5-Coder, DeepSeek-Coder, StarCoder2) pass ~80% of "
                      "single-line infilling tasks against ~29% for the embedded model, and one "
                      "machine with a GPU or many fast cores serves a team. Set "
                      "hearth.engine = \"http\" and hearth.serverUrl.")
    else:
        advice.append("Local inference is fine here; a LAN server is worth it only for models "
                      "larger than this machine can run in time.")
    return advice


def _capacity_line(capacity: Capacity, model: ModelReport) -> str:
    if capacity.note:
        return f"How many developers this machine serves was not measured: {capacity.note}"
    name = model.name or model.source
    where = "The server" if model.engine == "http" else \
        "As a team server (hearth-lsp team-server) this machine"
    if not capacity.developers:
        return (f"{where} keeps even one developer's suggestions over {capacity.budget_ms} ms"
                f" (p95) with {name}.")
    most = max(level["editors"] for level in capacity.levels)
    more = " or more" if capacity.developers == most else ""
    return (f"{where} serves {capacity.developers}{more} developers typing at once with"
            f" {name}, suggestions within {capacity.budget_ms} ms (p95; measured with"
            " simulated editors).")


def _gb(size: int | float) -> str:
    if size >= 1e9:
        return f"{size / 1e9:.1f} GB"
    if size >= 1e6:
        return f"{size / 1e6:.0f} MB"
    return f"{size / 1e3:.0f} kB"
