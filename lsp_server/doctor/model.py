"""The configured model, from its file's metadata (no engine needed) or from its server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..engines.base import Engine, EngineError
from ..gguf_header import GGUFError, GGUFHeader, read_header


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


def model_report(settings: Settings) -> tuple[ModelReport, Path | None]:
    if settings.engine == "http":
        return ModelReport(engine="http", source=settings.server_url), None
    from ..models import resolve_model_path, sha256_of

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
    fill_from_header(report, header, settings.context_size)
    if settings.model_sha256:
        actual = sha256_of(path)
        report.sha256 = "matches" if actual == settings.model_sha256 else (
            f"MISMATCH: the file's SHA-256 is {actual}, hearth.modelSha256 expects"
            f" {settings.model_sha256}; hearth refuses to load it")
    return report, path


def fill_from_header(report: ModelReport, header: GGUFHeader, context: int) -> None:
    arch = header.architecture
    report.architecture = arch
    report.name = header.get_str("general.name")
    report.quantization = header.quantization
    report.parameters = header.get_str("general.size_label")
    report.context_length = header.get_int(f"{arch}.context_length")
    report.layers = header.get_int(f"{arch}.block_count")
    window = min(context, report.context_length) if report.context_length else context
    report.kv_cache_bytes = window * _kv_per_token(header)
    report.estimated_memory = memory_estimate(report.file_size, report.kv_cache_bytes)


def _kv_per_token(header: GGUFHeader) -> int:
    """Bytes of f16 KV cache one token of context takes."""
    arch = header.architecture
    layers = header.get_int(f"{arch}.block_count")
    embedding = header.get_int(f"{arch}.embedding_length")
    heads = header.get_int(f"{arch}.attention.head_count") or 1
    kv_heads = header.get_int(f"{arch}.attention.head_count_kv") or heads
    key = header.get_int(f"{arch}.attention.key_length") or embedding // heads
    value = header.get_int(f"{arch}.attention.value_length") or embedding // heads
    return layers * kv_heads * (key + value) * 2


def kv_bytes_per_token(path: Path) -> int:
    try:
        return _kv_per_token(read_header(path))
    except (GGUFError, OSError):
        return 0


def trained_context(path: Path) -> int:
    try:
        header = read_header(path)
    except (GGUFError, OSError):
        return 0
    return header.get_int(f"{header.architecture}.context_length")


def memory_estimate(file_size: int, kv_cache: int) -> int:
    """Weights (mapped from the file) + KV cache + compute buffers and runtime."""
    return int(file_size * 1.05 + kv_cache + 150e6)


def fill_from_server(model: ModelReport, engine: Engine) -> None:
    info = engine.info
    model.name = info.name
    model.architecture = info.architecture
    model.quantization = info.quantization
    model.file_size = info.file_size
    model.context_length = info.context_length
    model.context_size = int(info.metadata.get("server.context", "0") or 0)
    model.server = {k.removeprefix("server."): v for k, v in info.metadata.items()
                    if k.startswith("server.")}
