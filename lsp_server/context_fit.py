"""Whether ``hearth.contextSize`` can work with a model on this machine, checked from the GGUF
header before llama.cpp allocates anything: more context than the model was trained for is
lowered to that (llama.cpp only warns, and the model's positions past it are garbage), and a
KV cache that this machine's available memory cannot hold is refused (llama.cpp would allocate
it and the machine would swap or kill the process).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .config import Settings
from .doctor.machine import cgroup_limit as _cgroup_limit
from .doctor.machine import meminfo as _meminfo
from .doctor.model import model_report

GB = 1e9
DEFAULT_CONTEXT = Settings().context_size


class ContextTooLarge(ValueError):
    """The context size's KV cache does not fit in the available memory; says so by name."""


@dataclass(frozen=True)
class Fitted:
    settings: Settings  # with the context size the model can take
    note: str = ""  # what was changed and why ("" when nothing was)


def available_memory() -> int:
    """Memory a new allocation can use: what the kernel calls available, within the cgroup's
    limit when there is one (0 when neither can be read)."""
    total, available = _meminfo()
    limit = _cgroup_limit(total)
    return min(limit, available) if limit and available else limit or available


def model_memory(settings: Settings) -> int:
    """The estimated memory of the local model ``settings`` name at their context size
    (weights, KV cache, buffers); 0 for an inference server or an unreadable file."""
    if settings.engine != "llama_cpp":
        return 0
    report, _path = model_report(replace(settings, model_sha256=""))  # no hashing here
    return 0 if report.error else report.estimated_memory


def fit_context(settings: Settings, *, freed: int = 0, available: int | None = None) -> Fitted:
    """``settings`` with a context size the model and this machine can hold. ``freed`` is the
    memory the model in use gives back before this one loads. Raises ``ContextTooLarge`` for
    a context size above the default whose estimate does not fit (at the default or below, a
    model that does not fit is the model's size, not the setting's: the load will say).

    Only llama.cpp's files are checked (an inference server has its own context; legacy GGML
    files have no such header)."""
    if settings.engine != "llama_cpp":
        return Fitted(settings)
    report, _path = model_report(replace(settings, model_sha256=""))
    if report.error or not report.layers:
        return Fitted(settings)  # the load itself will say what is wrong
    note = ""
    trained = report.context_length
    if trained and settings.context_size > trained:
        if settings.context_size != DEFAULT_CONTEXT:  # the default, lowered, is no news
            note = (f"hearth.contextSize: {settings.context_size} tokens is more than"
                    f" {report.name or 'the model'} was trained for; using {trained}")
        settings = replace(settings, context_size=trained)
    available = available_memory() if available is None else available
    too_big = available and report.estimated_memory > available + freed
    if too_big and settings.context_size > DEFAULT_CONTEXT:
        raise ContextTooLarge(
            f"hearth.contextSize: {settings.context_size} tokens need about"
            f" {report.kv_cache_bytes / GB:.1f} GB of KV cache"
            f" ({report.estimated_memory / GB:.1f} GB with the model), but this machine has"
            f" {(available + freed) / GB:.1f} GB available")
    return Fitted(settings, note)
