"""llama-cpp-python: the default engine, for any GGUF model llama.cpp supports.

Only its low-level pieces are used (tokenize, decode, logits): the generation loop is ours, so
cancellation reaches into prompt evaluation through llama.cpp's abort callback.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import faults
from ..gguf_header import quantization_name
from ..heap import release_freed_memory
from .base import EngineError, ModelInfo, Prompt
from .branching import BranchingLocalEngine, ReadRow, Row, T
from .local import Aborted

log = logging.getLogger(__name__)

# llama.cpp's own log lines go to our logger (at debug) instead of straight to stderr.
_log_callback: Any = None


def _route_native_logs(llama_cpp: Any) -> None:
    global _log_callback
    if _log_callback is not None:
        return

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def forward(level: int, text: bytes, _data: ctypes.c_void_p) -> None:
        log.debug("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    _log_callback = forward
    llama_cpp.llama_log_set(forward, ctypes.c_void_p(0))


# Sequences besides the main one, for exploring several continuations at once (ranking).
BRANCHES = 8
# Tokens per decode. The graph's scratch memory grows with it (attention scores are context
# × batch × heads floats, 8 MB for Gemma at 4096 × 128) and stays resident; prompts were
# evaluated as fast with 128 as with 256 here.
BATCH_SIZE = 128
# Rows of logits asked for in one decode. llama.cpp keeps an output buffer and a graph output
# as large as the largest such batch for the context's lifetime: a row is the whole
# vocabulary (1 MB for Gemma), so an unbounded batch would hold hundreds of MB. Fewer rows per
# decode cost time instead (each decode reads the output layer's weights again): scoring 120
# tokens took about 2.0 / 2.5 / 3.3 s with 32 / 16 / 8 rows here, for 64 / 32 / 16 MB
# (ranking scores only what follows explored branches, a few tokens per candidate).
MAX_OUTPUTS = 8


class LlamaCppEngine(BranchingLocalEngine):
    def __init__(self, path: str, *, threads: int, context_size: int,
                 batch_size: int = BATCH_SIZE, use_mmap: bool = False) -> None:
        try:
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - installed by `make install`
            raise EngineError(f"llama-cpp-python is not installed ({exc})") from exc
        _route_native_logs(llama_cpp)
        if not os.path.isfile(path):
            raise EngineError(f"model file not found: {path}")
        chatter = io.StringIO()
        try:
            # verbose=True: with False, llama-cpp-python redirects file descriptors 1 and 2 to
            # /dev/null while loading, which would swallow LSP messages written meanwhile.
            # Its Python-level chatter is captured instead and logged at debug level.
            with contextlib.redirect_stderr(chatter):
                self._llm: Any = llama_cpp.Llama(
                    model_path=path,
                    n_ctx=context_size,
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_batch=batch_size,
                    # Read into memory by default: a mapped file that is truncated or rewritten
                    # while in use kills the process with SIGBUS.
                    use_mmap=use_mmap,
                    verbose=True,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineError(f"llama.cpp could not load {path}: {exc}") from exc
        finally:
            log.debug("llama-cpp-python: %s", chatter.getvalue())
        self._lib = llama_cpp
        self._vocab = self._llm._model.vocab
        self._n_vocab = self._llm.n_vocab()
        try:
            self._branch_count = _enable_branches(self._llm, BRANCHES)
        except EngineError:
            self._llm.close()
            raise
        self._abort_hook: Any = llama_cpp.ggml_abort_callback(self._should_abort)
        llama_cpp.llama_set_abort_callback(self._llm._ctx.ctx, self._abort_hook, None)
        self._special_cache: dict[str, bool] = {}
        self._piece_buffer = ctypes.create_string_buffer(64)
        meta = {k: v for k, v in self._llm.metadata.items()}
        arch = meta.get("general.architecture", "")
        info = ModelInfo(
            path=path,
            engine="llama_cpp",
            architecture=arch,
            name=meta.get("general.name", ""),
            context_length=int(meta.get(f"{arch}.context_length", "0") or 0),
            file_size=os.path.getsize(path),
            quantization=_file_type_name(meta.get("general.file_type", "")),
            chat_template=meta.get("tokenizer.chat_template", ""),
            metadata={k: v for k, v in meta.items() if not k.startswith("tokenizer.chat_template")},
        )
        super().__init__(info, context_size=self._llm.n_ctx())

    def _should_abort(self, _data: Any) -> bool:
        cancel = self._cancel
        return cancel is not None and cancel.should_stop()

    def _tokenize(self, prompt: Prompt) -> list[int]:
        faults.trace_prompt(prompt.text)
        tokens: list[int] = []
        for index, (text, markup) in enumerate(prompt.parts):
            if text:
                tokens += self._llm.tokenize(text.encode("utf-8", "surrogatepass"),
                                             add_bos=index == 0, special=markup)
            elif index == 0:
                tokens += self._llm.tokenize(b"", add_bos=True)
        return tokens

    def _cached_tokens(self) -> Sequence[int]:
        return self._llm.input_ids[: self._llm.n_tokens].tolist()  # type: ignore[no-any-return]

    def _truncate_cache(self, keep: int) -> int:
        keep = max(0, keep)
        if not self._llm._ctx.kv_cache_seq_rm(-1, keep, -1):
            self._llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            keep = 0
        self._llm.n_tokens = keep
        return keep

    def _evaluate(self, tokens: Sequence[int]) -> None:
        if not tokens:
            return
        try:
            self._llm.eval(tokens)
        except RuntimeError as exc:
            if self._cancel is not None and self._cancel.should_stop():
                raise Aborted from exc
            raise EngineError(f"llama.cpp failed to evaluate the prompt: {exc}") from exc

    def _logits(self) -> npt.NDArray[np.float32]:
        return np.ctypeslib.as_array(self._llm._ctx.get_logits_ith(-1), shape=(self._n_vocab,))

    def _token_bytes(self, token: int) -> bytes:
        n = self._lib.llama_token_to_piece(self._vocab, token, self._piece_buffer,
                                           len(self._piece_buffer), 0, False)
        if n < 0:  # longer than the buffer: grow it to the size llama.cpp asked for
            self._piece_buffer = ctypes.create_string_buffer(-n)
            return self._token_bytes(token)
        return self._piece_buffer.raw[:n]

    def _is_end(self, token: int) -> bool:
        return bool(self._lib.llama_vocab_is_eog(self._vocab, token))

    # -- branches: extra sequences sharing the main one's KV cells ---------------------------
    def _branch_capacity(self) -> int:
        return self._branch_count

    def _branch_copy(self, seq: int, source: int, keep: int) -> None:
        ctx = self._llm._ctx
        if seq == source:
            ctx.kv_cache_seq_rm(seq, max(0, keep), -1)
            return
        ctx.kv_cache_seq_rm(seq, -1, -1)
        if keep > 0:
            ctx.kv_cache_seq_cp(source, seq, 0, keep)

    def _branch_clear(self) -> None:
        for seq in range(1, self._branch_count + 1):
            self._llm._ctx.kv_cache_seq_rm(seq, -1, -1)

    def _branch_eval(self, rows: Sequence[Row], read: ReadRow[T]) -> list[list[T]]:
        batch = self._llm._batch.batch
        flat = [(r, i, seq, pos + i, token, i in wanted)
                for r, (seq, pos, tokens, wanted) in enumerate(rows)
                for i, token in enumerate(tokens)]
        out: list[list[T]] = [[] for _ in rows]
        for chunk in _decode_chunks(flat, self._llm.n_batch, MAX_OUTPUTS):
            batch.n_tokens = len(chunk)
            for j, (_r, _i, seq, pos, token, wants) in enumerate(chunk):
                batch.token[j] = token
                batch.pos[j] = pos
                batch.seq_id[j][0] = seq
                batch.n_seq_id[j] = 1
                batch.logits[j] = wants
            try:
                self._llm._ctx.decode(self._llm._batch)
            except RuntimeError as exc:
                if self._cancel is not None and self._cancel.should_stop():
                    raise Aborted from exc
                raise EngineError(f"llama.cpp failed to evaluate branches: {exc}") from exc
            for j, (r, i, _seq, _pos, _token, wants) in enumerate(chunk):
                if wants:  # a view of llama.cpp's buffer, valid until the next decode
                    logits = np.ctypeslib.as_array(self._llm._ctx.get_logits_ith(j),
                                                   shape=(self._n_vocab,))
                    out[r].append(read(r, i, logits))
        return out

    def _vocab_size(self) -> int:
        return self._n_vocab

    def is_special_token(self, text: str) -> bool:
        if text not in self._special_cache:
            ids = self._llm.tokenize(text.encode(), add_bos=False, special=True)
            self._special_cache[text] = len(ids) == 1 and bool(
                self._lib.llama_vocab_get_attr(self._vocab, ids[0])
                & (self._lib.LLAMA_TOKEN_ATTR_CONTROL | self._lib.LLAMA_TOKEN_ATTR_USER_DEFINED)
            )
        return self._special_cache[text]

    def close(self) -> None:
        """Free the model, its context and every table built for it, at once: the abort hook
        refers back to this engine, so without this the cycle would keep them until Python's
        collector got round to it."""
        llm, self._llm = self._llm, None
        if llm is None:
            return
        llm.close()
        self._abort_hook = None
        self._special_cache.clear()
        super().close()
        release_freed_memory()


_Flat = tuple[int, int, int, int, int, bool]  # row, index in row, seq, position, token, wants


def _decode_chunks(flat: list[_Flat], tokens: int, outputs: int) -> Iterator[list[_Flat]]:
    """``flat`` cut into decodes of at most ``tokens`` tokens and ``outputs`` rows of logits."""
    chunk: list[_Flat] = []
    wanted = 0
    for item in flat:
        if len(chunk) >= tokens or (item[5] and wanted >= outputs):
            yield chunk
            chunk, wanted = [], 0
        chunk.append(item)
        wanted += item[5]
    if chunk:
        yield chunk


def _enable_branches(llm: Any, count: int) -> int:
    """Re-create llama-cpp-python's context with room for ``count`` more sequences in one
    unified KV cache (``Llama`` always makes one sequence). Returns how many it got.

    The old context is freed first: both at once would hold two KV caches at load time."""
    from llama_cpp import _internals

    params = llm.context_params
    llm._ctx.close()
    llm.n_tokens = 0
    params.n_seq_max = count + 1
    params.kv_unified = True  # branches share the prompt's cells instead of copying them
    try:
        llm._ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=llm.verbose)
        return count
    except (ValueError, RuntimeError) as exc:
        log.info("no parallel sequences (%s): candidates will not be ranked", exc)
    params.n_seq_max = 1
    try:
        llm._ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=llm.verbose)
    except (ValueError, RuntimeError) as exc:
        raise EngineError(f"llama.cpp could not create a context: {exc}") from exc
    return 0


def _file_type_name(code: str) -> str:
    return quantization_name(code) if code else ""
