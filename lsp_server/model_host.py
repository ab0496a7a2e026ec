"""The loaded model and its state, as the rest of the server sees it.

Loading happens on the worker thread (the model's owner); readers on the event loop only look at
immutable snapshots (``status``), so no locks are needed.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from typing import Literal

from .config import Settings
from .engines.base import CancelToken, Engine, EngineError, GenerationParams, ModelInfo, Prompt
from .index import WorkspaceIndex
from .models import load_engine
from .pipeline import CompletionPipeline, CompletionResult
from .prompts import PromptError, choose_completion_template, completion_templates

log = logging.getLogger(__name__)

# "unavailable": loaded, but its inference server did not answer the last request; requests
# still go to it, and the first that succeeds makes the state "ready" again.
State = Literal["unloaded", "loading", "ready", "unavailable", "error"]

WARM_UP_PROMPT = "def add(a, b):\n    return"
WARM_UP_LIMIT_S = 5.0  # an inference server that does not answer must not hold up start-up


@dataclass(frozen=True)
class ModelStatus:
    state: State = "unloaded"
    message: str = ""
    model: str = ""  # display name
    path: str = ""
    engine: str = ""
    template: str = ""
    load_ms: float = 0.0
    warm_up_ms: float = 0.0
    last_latency_ms: float | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "state": self.state, "message": self.message, "model": self.model,
            "path": self.path, "engine": self.engine, "template": self.template,
            "loadMs": round(self.load_ms, 1), "warmUpMs": round(self.warm_up_ms, 1),
            "lastLatencyMs": None if self.last_latency_ms is None
            else round(self.last_latency_ms, 1),
        }


class ModelHost:
    def __init__(self, index: WorkspaceIndex | None = None) -> None:
        self.index = index  # the workspace index the pipeline draws project context from
        self.status = ModelStatus()
        self.engine: Engine | None = None
        self.pipeline: CompletionPipeline | None = None
        self.settings: Settings | None = None  # what the current engine was loaded with
        self.load_error: EngineError | None = None
        self.last_completion: CompletionResult | None = None
        self._model_file = ""
        self._file_identity: tuple[int, int, int, int] | None = None

    @property
    def ready(self) -> bool:
        return self.status.state in ("ready", "unavailable") and self.pipeline is not None

    def set_loading(self, settings: Settings) -> None:
        self.status = replace(self.status, state="loading", message="loading model",
                              path=settings.model_path or "(embedded Gemma 3 270M)")

    def load(self, settings: Settings, cancel: CancelToken) -> ModelStatus:
        """Replace the engine (worker thread only). Never raises: failures become the status."""
        self.unload()
        self.load_error = None
        start = time.monotonic()
        try:
            engine = load_engine(settings, cancel)
            template = choose_completion_template(
                completion_templates(settings.prompts_dir), engine.info, engine,
                settings.completion_template)
        except (EngineError, PromptError) as exc:
            self.load_error = exc if isinstance(exc, EngineError) else None
            self.status = ModelStatus(state="error", message=str(exc),
                                      path=settings.model_path, engine=settings.engine)
            return self.status
        load_ms = (time.monotonic() - start) * 1000
        self._warm_up(engine, cancel)
        warm_up_ms = (time.monotonic() - start) * 1000 - load_ms
        self.engine = engine
        self.settings = settings
        self._model_file = engine.info.path
        self._file_identity = _identity(engine.info.path)
        self.pipeline = CompletionPipeline(engine, template, settings, self.index)
        self.status = ModelStatus(
            state="ready", message=_ready_message(engine.info), model=_display_name(engine.info),
            path=engine.info.path, engine=engine.info.engine, template=template.family,
            load_ms=load_ms, warm_up_ms=warm_up_ms, last_latency_ms=self.status.last_latency_ms,
        )
        log.info("model %s loaded in %.0f ms (%s)", engine.info.path, load_ms, template.family)
        return self.status

    def _warm_up(self, engine: Engine, cancel: CancelToken) -> None:
        """A short generation so the first real request does not pay for cold caches."""
        prepare = getattr(engine, "prepare", None)
        if callable(prepare):
            prepare()
        try:
            engine.generate(Prompt.plain(WARM_UP_PROMPT), GenerationParams(max_tokens=4),
                            cancel.with_deadline(time.monotonic() + WARM_UP_LIMIT_S))
        except Exception as exc:  # a failed warm-up only costs the first request its speed
            log.warning("warm-up generation failed: %s", exc)

    def unload(self) -> None:
        if self.engine is not None:
            self.engine.close()
        self.engine = None
        self.pipeline = None

    def model_file_change(self) -> str | None:
        """"deleted" or "changed" when the loaded model's file is no longer the one loaded.

        A few microseconds (one stat): checked before every request so a model replaced on
        disk is reloaded instead of served stale, or crashing a memory map."""
        if self._file_identity is None:
            return None
        now = _identity(self._model_file)
        if now == self._file_identity:
            return None
        return "deleted" if now is None else "changed"

    def forget_file(self) -> None:
        """Serve the copy in memory without watching its (deleted) file any more."""
        self._file_identity = None

    def record_failure(self, message: str) -> None:
        """A request failed in the loaded engine (its inference server went away, say)."""
        if self.pipeline is not None:
            self.status = replace(self.status, state="unavailable", message=message)

    def record_success(self) -> bool:
        """A request went through; True if that ends an "unavailable" spell."""
        if self.status.state != "unavailable":
            return False
        self.status = replace(self.status, state="ready", message="ready")
        return True

    def record_completion(self, result: CompletionResult | None, latency_ms: float) -> None:
        self.status = replace(self.status, last_latency_ms=latency_ms)
        if result is not None and result.generation is not None:
            self.last_completion = result


def _identity(path: str) -> tuple[int, int, int, int] | None:
    """Device, inode, size and modification time of a local model file, or None."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _display_name(info: ModelInfo) -> str:
    parts = [info.name or info.path.rsplit("/", 1)[-1]]
    if info.quantization:
        parts.append(info.quantization)
    return " ".join(parts)


def _ready_message(info: ModelInfo) -> str:
    note = info.metadata.get("server.note", "")
    return f"ready; {note}" if note else "ready"
