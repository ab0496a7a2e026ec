"""The machine: CPU, the vector units llama.cpp uses, cores, memory, disk."""

from __future__ import annotations

import os
import platform
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

# llama.cpp's own names (its system info), lower-cased; the ones that decide its speed.
VECTOR_UNITS = ("sse3", "ssse3", "avx", "avx2", "avx_vnni", "f16c", "fma", "bmi2", "avx512",
                "avx512_vbmi", "avx512_vnni", "avx512_bf16", "amx_int8", "neon", "arm_fma",
                "fp16_va", "dotprod", "matmul_int8", "sve", "sme", "riscv_v", "vsx", "wasm_simd")
_FEATURE = re.compile(r"([A-Za-z0-9_]+)\s*=\s*1\b")


@dataclass
class Machine:
    cpu: str
    architecture: str
    # What llama.cpp was built to use on this CPU, from its own system info (not /proc: absent
    # in some containers, and a CPU flag llama.cpp does not use does not make it faster).
    vector_extensions: list[str]
    logical_cores: int
    physical_cores: int
    usable_cores: int  # this process's CPU affinity
    ram_total: int
    ram_available: int
    memory_limit: int  # a cgroup limit below the machine's RAM, else 0
    disk_free: int  # where the model lives
    llama_cpp_build: str  # llama.cpp's system info, as it prints it


def machine_facts(model_dir: Path) -> Machine:
    cpu, physical = cpu_name_and_cores()
    total, available = meminfo()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    build = llama_cpp_system_info()
    return Machine(
        cpu=cpu or platform.processor() or platform.machine(),
        architecture=platform.machine(),
        vector_extensions=vector_units(build),
        logical_cores=os.cpu_count() or 0,
        physical_cores=physical or os.cpu_count() or 0,
        usable_cores=usable or os.cpu_count() or 0,
        ram_total=total,
        ram_available=available,
        memory_limit=cgroup_limit(total),
        disk_free=disk_free(model_dir),
        llama_cpp_build=build,
    )


def llama_cpp_system_info() -> str:
    """llama.cpp's description of its build ("CPU : SSE3 = 1 | AVX2 = 1 | ..."), or ""."""
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


def vector_units(system_info: str) -> list[str]:
    found = {name.lower() for name in _FEATURE.findall(system_info)}
    return [unit for unit in VECTOR_UNITS if unit in found]


def read_cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return ""


def cpu_name_and_cores() -> tuple[str, int]:
    model = ""
    cores: set[tuple[str, str]] = set()
    physical_id = ""
    for line in read_cpuinfo().splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key in ("model name", "Model", "cpu model") and not model:
            model = value
        elif key == "physical id":
            physical_id = value
        elif key == "core id":
            cores.add((physical_id, value))
    return model, len(cores)


def meminfo() -> tuple[int, int]:
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


def cgroup_limit(total: int) -> int:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            return int(text)
    return 0


def available_memory() -> int:
    """Memory a new process can use: the cgroup limit if lower, else what is available."""
    total, available = meminfo()
    limit = cgroup_limit(total)
    return min(limit, available) if limit and available else limit or available


def disk_free(folder: Path) -> int:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0
