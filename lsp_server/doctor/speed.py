"""The speed of a short real run with the configured engine, and what it means for other model
sizes: speeds on CPU scale with the bytes of weights read per token, so the measured model's
speed is extrapolated to other sizes by file size (labelled as an estimate)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..engines.base import CancelToken, Engine, GenerationParams, Prompt
from .machine import Machine
from .model import ModelReport, memory_estimate

BUDGET_MS = 500  # a ghost-text suggestion later than this is typed over
KEYSTROKE_NEW_TOKENS = 24  # prompt tokens a keystroke adds past the cached prefix
SUGGESTION_TOKENS = 16  # a line of code
COLD_PROMPT_TOKENS = 1024  # a new file's prompt, nothing cached
MEASURE_PROMPT_TOKENS = 256
MEASURE_GENERATE_TOKENS = 32
FIM_QUALITY_SIZE = 1.5e9  # FIM-trained code models reach ~80% single-line pass@1 from here up

# Code models people run for completion, Q4_K_M files (approximate sizes), and their KV cache
# at a 4,096-token context in f16.
CANDIDATES: tuple[tuple[str, float, float], ...] = (
    ("0.5B (e.g. Qwen2.5-Coder 0.5B)", 0.40e9, 50e6),
    ("1.5B (e.g. Qwen2.5-Coder 1.5B)", 1.0e9, 117e6),
    ("3B (e.g. Qwen2.5-Coder 3B)", 1.9e9, 151e6),
    ("7B (e.g. Qwen2.5-Coder 7B)", 4.7e9, 235e6),
    ("14B (e.g. Qwen2.5-Coder 14B)", 9.0e9, 805e6),
)
CANDIDATE_PARAMS = (0.5e9, 1.5e9, 3e9, 7e9, 14e9)

CODE_SAMPLE = '''
def parse_{n}(line: str) -> dict[str, str]:
    """Split a "key = value" line into a mapping; blank lines give an empty one."""
    key, _, value = line.partition("=")
    if not key.strip():
        return {{}}
    return {{key.strip(): value.strip().strip('"')}}

'''


@dataclass
class Speed:
    threads: int
    load_ms: float
    prompt_tokens: int
    prompt_ms: float
    prompt_tokens_per_s: float
    generated_tokens: int
    generate_ms: float
    generate_tokens_per_s: float
    keystroke_ms: float  # the same prompt plus one character, a line of suggestion


@dataclass
class SizeEstimate:
    model: str
    file_size: int
    memory: int
    keystroke_ms: float
    cold_ms: float
    fits_memory: bool
    within_budget: bool


def measure_speed(engine: Engine, threads: int, load_ms: float) -> Speed:
    """A short real run: a cold prompt, a generation, and a keystroke on the cached prompt."""
    cancel = CancelToken()
    engine.generate(Prompt.plain("# warm-up\nx = 1\n"), GenerationParams(max_tokens=2), cancel)
    prompt = _code_prompt(engine, MEASURE_PROMPT_TOKENS)
    cold = engine.generate(Prompt.plain(prompt), GenerationParams(max_tokens=1), cancel)
    run = engine.generate(Prompt.plain(prompt + "def"), GenerationParams(
        max_tokens=MEASURE_GENERATE_TOKENS), cancel)
    key = engine.generate(Prompt.plain(prompt + "def "), GenerationParams(
        max_tokens=SUGGESTION_TOKENS), cancel)
    prompt_ms = max(cold.first_token_ms, 1e-3)
    gen_tokens = max(run.generated_tokens - 1, 0)
    gen_ms = max(run.total_ms - run.first_token_ms, 1e-3)
    return Speed(
        threads=threads, load_ms=round(load_ms, 1),
        prompt_tokens=cold.prompt_tokens, prompt_ms=round(prompt_ms, 1),
        prompt_tokens_per_s=round(cold.prompt_tokens / prompt_ms * 1000, 1),
        generated_tokens=gen_tokens, generate_ms=round(gen_ms, 1),
        generate_tokens_per_s=round(gen_tokens / gen_ms * 1000, 1) if gen_tokens else 0.0,
        keystroke_ms=round(key.total_ms, 1),
    )


def _code_prompt(engine: Engine, tokens: int) -> str:
    # A fresh start each run, so no cache from an earlier run of this process is reused.
    text = f"# doctor {time.time_ns()}\n"
    n = 0
    while engine.count_tokens(text) < tokens:
        text += CODE_SAMPLE.format(n=n)
        n += 1
    return text


def size_estimates(machine: Machine, model: ModelReport, speed: Speed) -> list[SizeEstimate]:
    """Each candidate's latency, scaled from the measured model by file size."""
    if model.engine == "http" or model.file_size < 50e6 or not speed.generate_tokens_per_s:
        return []  # a server's hardware is unknown; a toy model's speed says nothing
    memory = machine.memory_limit or machine.ram_available or machine.ram_total
    estimates = []
    for label, size, kv in CANDIDATES:
        scale = size / model.file_size
        prompt_rate = speed.prompt_tokens_per_s / scale
        gen_rate = speed.generate_tokens_per_s / scale
        keystroke = (KEYSTROKE_NEW_TOKENS / prompt_rate + SUGGESTION_TOKENS / gen_rate) * 1000
        cold = (COLD_PROMPT_TOKENS / prompt_rate + SUGGESTION_TOKENS / gen_rate) * 1000
        needed = memory_estimate(int(size), int(kv))
        estimates.append(SizeEstimate(label, int(size), needed, round(keystroke), round(cold),
                                      needed < memory, keystroke <= BUDGET_MS))
    return estimates
