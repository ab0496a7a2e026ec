"""``hearth-lsp doctor``: what this machine can serve, measured rather than guessed.

Reports the CPU (model, vector extensions), cores, memory, free disk, the configured model (file
size, quantisation, context length, estimated memory), the speed of a short real run with the
configured engine, and a plain recommendation: which model sizes answer a keystroke within the
completion budget here, and whether a LAN inference server would serve better.

Speeds on CPU scale with the bytes of weights read per token, so the measured model's speed is
extrapolated to other sizes by file size; the estimate is labelled as such.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .config import Settings
from .engines.base import CancelToken, Engine, EngineError, GenerationParams, Prompt
from .gguf_header import GGUFError, GGUFHeader, read_header

BUDGET_MS = 500  # a ghost-text suggestion later than this is typed over
KEYSTROKE_NEW_TOKENS = 24  # prompt tokens a keystroke adds past the cached prefix
SUGGESTION_TOKENS = 16  # a line of code
COLD_PROMPT_TOKENS = 1024  # a new file's prompt, nothing cached
MEASURE_PROMPT_TOKENS = 256
MEASURE_GENERATE_TOKENS = 32
FIM_QUALITY_SIZE = 1.5e9  # FIM-trained code models reach ~80% single-line pass@1 from here up
VECTOR_FLAGS = ("avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512bw", "avx512vl",
                "avx512_vnni", "avx512_bf16", "amx_tile", "neon", "asimd", "sve", "sve2")

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
class Machine:
    cpu: str
    architecture: str
    vector_extensions: list[str]
    logical_cores: int
    physical_cores: int
    usable_cores: int  # this process's CPU affinity
    ram_total: int
    ram_available: int
    memory_limit: int  # a cgroup limit below the machine's RAM, else 0
    disk_free: int  # where the model lives
    llama_cpp_build: str  # what llama.cpp was compiled to use


@dataclass
class ModelReport:
    engine: str
    source: str  # file path or server address
    name: str = ""
    architecture: str = ""
    file_size: int = 0
    quantization: str = ""
    parameters: str = ""
    context_length: int = 0  # trained
    context_size: int = 0  # configured (a server's own, for the http engine)
    layers: int = 0
    kv_cache_bytes: int = 0
    estimated_memory: int = 0
    sha256: str = ""  # "matches", "MISMATCH ..." or "" when no expected hash is configured
    server: dict[str, Any] = field(default_factory=dict)
    error: str = ""


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


@dataclass
class Report:
    version: str
    machine: Machine
    model: ModelReport
    speed: Speed | None
    sizes: list[SizeEstimate]
    recommendation: list[str]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# -- the machine ---------------------------------------------------------------------------
def machine_facts(model_dir: Path) -> Machine:
    cpu, flags, physical = _cpuinfo()
    total, available = _meminfo()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    return Machine(
        cpu=cpu or platform.processor() or platform.machine(),
        architecture=platform.machine(),
        vector_extensions=[f for f in VECTOR_FLAGS if f in flags],
        logical_cores=os.cpu_count() or 0,
        physical_cores=physical or os.cpu_count() or 0,
        usable_cores=usable or os.cpu_count() or 0,
        ram_total=total,
        ram_available=available,
        memory_limit=_cgroup_limit(total),
        disk_free=_disk_free(model_dir),
        llama_cpp_build=_llama_cpp_build(),
    )


def _cpuinfo() -> tuple[str, set[str], int]:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return "", set(), 0
    model = ""
    flags: set[str] = set()
    cores: set[tuple[str, str]] = set()
    physical_id = ""
    for line in text.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key in ("model name", "Model", "cpu model") and not model:
            model = value
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
        elif key == "physical id":
            physical_id = value
        elif key == "core id":
            cores.add((physical_id, value))
    return model, flags, len(cores)


def _meminfo() -> tuple[int, int]:
    values: dict[str, int] = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, _, rest = line.partition(":")
            number = rest.split()
            if number:
                values[key] = int(number[0]) * 1024
    except (OSError, ValueError):
        pass
    total = values.get("MemTotal", 0)
    if not total and hasattr(os, "sysconf"):
        try:
            total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError):
            total = 0
    return total, values.get("MemAvailable", total)


def _cgroup_limit(total: int) -> int:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            return int(text)
    return 0


def _disk_free(folder: Path) -> int:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _llama_cpp_build() -> str:
    try:
        import llama_cpp
    except ImportError:
        return ""
    try:
        info = llama_cpp.llama_print_system_info()
    except Exception:  # an old or unusual build: the report goes on without it
        return ""
    text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    return " ".join(text.split())


# -- the model -----------------------------------------------------------------------------
def model_report(settings: Settings) -> tuple[ModelReport, Path | None]:
    """What the configured model is, from its file's metadata (no engine needed)."""
    if settings.engine == "http":
        return ModelReport(engine="http", source=settings.server_url), None
    from .models import resolve_model_path, sha256_of

    report = ModelReport(engine=settings.engine, source=settings.model_path or "(embedded)",
                         context_size=settings.context_size)
    try:
        path = resolve_model_path(settings)
    except EngineError as exc:
        report.error = str(exc)
        return report, None
    report.source = str(path)
    report.file_size = path.stat().st_size
    try:
        header = read_header(path)
    except GGUFError as exc:
        report.error = f"cannot read the GGUF metadata: {exc}"
        return report, path
    _fill_from_header(report, header, settings.context_size)
    if settings.model_sha256:
        actual = sha256_of(path)
        report.sha256 = "matches" if actual == settings.model_sha256 else (
            f"MISMATCH: the file's SHA-256 is {actual}, hearth.modelSha256 expects"
            f" {settings.model_sha256}; hearth refuses to load it")
    return report, path


def _fill_from_header(report: ModelReport, header: GGUFHeader, context: int) -> None:
    arch = header.architecture
    report.architecture = arch
    report.name = header.get_str("general.name")
    report.quantization = header.quantization
    report.parameters = header.get_str("general.size_label")
    report.context_length = header.get_int(f"{arch}.context_length")
    report.layers = header.get_int(f"{arch}.block_count")
    embedding = header.get_int(f"{arch}.embedding_length")
    heads = header.get_int(f"{arch}.attention.head_count") or 1
    kv_heads = header.get_int(f"{arch}.attention.head_count_kv") or heads
    key = header.get_int(f"{arch}.attention.key_length") or embedding // heads
    value = header.get_int(f"{arch}.attention.value_length") or embedding // heads
    window = min(context, report.context_length) if report.context_length else context
    report.kv_cache_bytes = report.layers * window * kv_heads * (key + value) * 2  # f16
    report.estimated_memory = memory_estimate(report.file_size, report.kv_cache_bytes)


def memory_estimate(file_size: int, kv_cache: int) -> int:
    """Weights (mapped from the file) + KV cache + compute buffers and runtime."""
    return int(file_size * 1.05 + kv_cache + 150e6)


# -- speed ---------------------------------------------------------------------------------
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


# -- advice --------------------------------------------------------------------------------
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


def recommend(machine: Machine, model: ModelReport, speed: Speed | None,
              sizes: list[SizeEstimate], settings: Settings) -> list[str]:
    advice: list[str] = []
    if model.error:
        advice.append(f"The configured model cannot be used: {model.error}")
    if model.sha256.startswith("MISMATCH"):
        advice.append("The model file is not the one your configuration expects (SHA-256); "
                      "replace it or update hearth.modelSha256.")
    flags = set(machine.vector_extensions)
    if machine.architecture in ("x86_64", "AMD64") and "avx2" not in flags:
        advice.append("This CPU lacks AVX2: llama.cpp runs several times slower without it; "
                      "a LAN inference server will serve much better.")
    cores = machine.usable_cores
    if settings.engine != "http" and cores and settings.threads >= cores:
        advice.append(f"hearth.threads is {settings.threads} on {cores} usable cores: generation "
                      "collapses when anything else runs; use "
                      f"{max(1, cores - 1)}.")
    memory = machine.memory_limit or machine.ram_available
    if model.estimated_memory and memory and model.estimated_memory > memory:
        advice.append(f"The model needs about {_gb(model.estimated_memory)} but only "
                      f"{_gb(memory)} is available: expect swapping or a failed load.")
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


# -- the whole report ----------------------------------------------------------------------
def run(settings: Settings, measure: bool = True) -> Report:
    from .models import load_engine

    model, path = model_report(settings)
    where = path.parent if path is not None else Path.home()
    machine = machine_facts(where)
    speed: Speed | None = None
    if not model.error and not model.sha256.startswith("MISMATCH") and measure:
        start = time.monotonic()
        try:
            engine = load_engine(settings)
        except EngineError as exc:
            model.error = str(exc)
        else:
            load_ms = (time.monotonic() - start) * 1000
            try:
                if model.engine == "http":
                    _fill_from_server(model, engine)
                speed = measure_speed(engine, settings.threads, load_ms)
            except EngineError as exc:
                model.error = f"the measuring run failed: {exc}"
            finally:
                engine.close()
    sizes = size_estimates(machine, model, speed) if speed is not None else []
    return Report(__version__, machine, model, speed, sizes,
                  recommend(machine, model, speed, sizes, settings))


def _fill_from_server(model: ModelReport, engine: Engine) -> None:
    info = engine.info
    model.name = info.name
    model.architecture = info.architecture
    model.quantization = info.quantization
    model.file_size = info.file_size
    model.context_length = info.context_length
    model.context_size = int(info.metadata.get("server.context", "0") or 0)
    model.server = {k.removeprefix("server."): v for k, v in info.metadata.items()
                    if k.startswith("server.")}


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


def _gb(size: int | float) -> str:
    if size >= 1e9:
        return f"{size / 1e9:.1f} GB"
    if size >= 1e6:
        return f"{size / 1e6:.0f} MB"
    return f"{size / 1e3:.0f} kB"


def _shorten(text: str, width: int) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= width else text[: width - 1] + "…"
