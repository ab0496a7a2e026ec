"""ctransformers: for legacy GGML files (GPT-2, GPT-J, StarCoder, MPT, ... of 2023) and early
GGUF llama files. It bundles a 2023 llama.cpp, so modern architectures (Gemma 3, Qwen2, ...) do
not load; use the llama_cpp engine for those. The project has had no release since 2023.

Its ``LLM.tokenize`` drops the last token (buffer sized characters + 1) and its sampling defaults
are not deterministic, so both are bypassed: tokenization calls the C function with a correctly
sized buffer and decoding is the shared greedy loop.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import faults
from ..gguf_header import GGUFError, is_gguf, read_header
from .base import EngineError, ModelInfo, Prompt
from .local import Aborted, LocalEngine

# Prompt evaluation cannot be interrupted inside a call, so it runs in slices this long and the
# cancel token is checked between them.
EVAL_SLICE = 32


class CTransformersEngine(LocalEngine):
    def __init__(self, path: str, *, threads: int, context_size: int, model_type: str = "") -> None:
        try:
            from ctransformers import LLM, Config
        except ImportError as exc:  # pragma: no cover - installed by `make install`
            raise EngineError(f"ctransformers is not installed ({exc})") from exc
        if not os.path.isfile(path):
            raise EngineError(f"model file not found: {path}")
        info = _describe(Path(path), model_type)
        config = Config(context_length=context_size, threads=threads, batch_size=EVAL_SLICE)
        try:
            # lib="avx2" skips a ~1 s CPU probe on every load.
            self._llm = LLM(path, model_type or None, config=config, lib=_library())
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineError(
                f"ctransformers could not load {path} ({exc}); it only runs GGML files and early"
                " GGUF llama files - use the llama_cpp engine for modern models"
            ) from exc
        self._threads = threads
        self._eos = self._llm.eos_token_id
        n_ctx = self._llm.context_length if self._llm.context_length > 0 else context_size
        super().__init__(info, context_size=min(context_size, n_ctx))

    def _tokenize(self, prompt: Prompt) -> list[int]:
        faults.trace_prompt(prompt.text)
        # The bundled llama.cpp never parses special tokens from text: markup stays plain text.
        data = prompt.text.encode("utf-8", "surrogatepass")
        buffer = (ctypes.c_int * (len(data) + 3))()
        n = self._llm.ctransformers_llm_tokenize(data, self._llm.model_type == "llama", buffer)
        return list(buffer[:n])

    def _cached_tokens(self) -> Sequence[int]:
        return list(self._llm._context)

    def _truncate_cache(self, keep: int) -> int:
        # The 2023 cache is indexed by position: evaluating at n_past overwrites what follows.
        del self._llm._context[max(0, keep):]
        return len(self._llm._context)

    def _evaluate(self, tokens: Sequence[int]) -> None:
        for start in range(0, len(tokens), EVAL_SLICE):
            if self._cancel is not None and self._cancel.should_stop():
                raise Aborted
            try:
                self._llm.eval(tokens[start:start + EVAL_SLICE], threads=self._threads)
            except RuntimeError as exc:
                raise EngineError(f"ctransformers failed to evaluate the prompt: {exc}") from exc

    def _logits(self) -> npt.NDArray[np.float32]:
        size = self._llm.ctransformers_llm_logits_size()
        return np.ctypeslib.as_array(self._llm.ctransformers_llm_logits_data(), shape=(size,))

    def _token_bytes(self, token: int) -> bytes:
        return bytes(self._llm.ctransformers_llm_detokenize(token))

    def _is_end(self, token: int) -> bool:
        return token == self._eos or bool(self._llm.ctransformers_llm_is_eos_token(token))

    def _vocab_size(self) -> int:
        return int(self._llm.vocab_size)

    def is_special_token(self, text: str) -> bool:
        return False  # special tokens cannot be addressed through its tokenizer

    def close(self) -> None:
        del self._llm


def _library() -> str:
    flags = _cpu_flags()
    return "avx2" if "avx2" in flags else "avx" if "avx" in flags else "basic"


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _describe(path: Path, model_type: str) -> ModelInfo:
    """Check the file before the native loader sees it (GGUF v1 crashes it)."""
    meta: dict[str, Any] = {}
    if is_gguf(path):
        try:
            header = read_header(path)
        except GGUFError as exc:
            raise EngineError(f"{path}: {exc}") from exc
        meta = dict(header.metadata)
    elif not model_type:
        raise EngineError(
            f"{path} is not a GGUF file: set hearth.modelType (llama, gpt2, starcoder, ...)"
            " for a legacy GGML model"
        )
    arch = str(meta.get("general.architecture", model_type))
    return ModelInfo(
        path=str(path),
        engine="ctransformers",
        architecture=arch,
        name=str(meta.get("general.name", path.stem)),
        context_length=int(meta.get(f"{arch}.context_length", 0) or 0),
        file_size=path.stat().st_size,
        chat_template=str(meta.get("tokenizer.chat_template", "")),
        metadata={k: str(v) for k, v in meta.items()},
    )
