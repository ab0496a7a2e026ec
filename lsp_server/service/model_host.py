"""The loaded model and what is built on it: the completion pipeline, the assistant for fixes and
explanations, and the explanations already given. They are rebuilt here, and only here, when
the model or the settings change.

Loading runs on the worker thread (the model's owner); readers on the event loop only look at
immutable snapshots (``status``), so no locks are needed. A load that fails keeps the working
model: everything that can be checked without loading is checked before it is let go, and if
the real load still fails, the working model is loaded again.
"""

from __future__ import annotations

import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from ..assist import Assistant, ExplainResult
from ..config import Settings
from ..engines.base import CancelToken, Engine, EngineError, GenerationParams, ModelInfo, Prompt
from ..index import WorkspaceIndex
from ..models import check_model, open_engine
from ..pipeline import CompletionPipeline, CompletionResult
from ..prompts import PromptError, Template, choose_completion_template, completion_templates
from .status import ModelStatus

log = logging.getLogger(__name__)

WARM_UP_PROMPT = "def add(a, b):\n    return"
WARM_UP_LIMIT_S = 5.0  # an inference server that does not answer must not hold up start-up
EXPLANATIONS_KEPT = 64

# Settings whose change needs the model loaded again.
RELOAD_KEYS = ("model_path", "engine", "model_type", "threads", "context_size", "use_mmap",
               "model_sha256", "completion_template", "prompts_dir", "server_url", "api_key_env",
               "ca_bundle", "server_model", "server_api", "server_connect_timeout_ms",
               "server_read_timeout_ms")


def needs_reload(old: Settings, new: Settings) -> bool:
    return any(getattr(old, key) != getattr(new, key) for key in RELOAD_KEYS)


@dataclass(frozen=True)
class _Opened:
    engine: Engine
    template: Template
    load_ms: float
    warm_up_ms: float


class ModelHost:
    def __init__(self, index: WorkspaceIndex | None = None) -> None:
        self.index = index  # the workspace index the pipeline draws project context from
        self.status = ModelStatus()
        self.engine: Engine | None = None
        self.pipeline: CompletionPipeline | None = None
        self.settings: Settings | None = None  # what the current engine was loaded with
        self.load_error: Exception | None = None  # why the last load failed
        self.last_completion: CompletionResult | None = None
        self.explanations: OrderedDict[tuple[str, str, str], ExplainResult] = OrderedDict()
        self._requested = Settings()  # the user's settings (maybe a model that failed)
        self._assistant: Assistant | None = None
        self._loaded_status = self.status  # as the loaded model's last load left it
        self._model_file = ""
        self._file_identity: tuple[int, int, int, int] | None = None

    @property
    def ready(self) -> bool:
        return self.status.state in ("ready", "unavailable") and self.pipeline is not None

    @property
    def effective(self) -> Settings:
        """The user's settings, except those the loaded model was loaded with (after a failed
        reload the working model keeps its own context size, template, ...)."""
        loaded = self.settings
        if loaded is None:
            return self._requested
        return replace(self._requested, **{key: getattr(loaded, key) for key in RELOAD_KEYS})

    def use_settings(self, requested: Settings) -> None:
        """New settings that do not need a reload (or until it is done)."""
        self._requested = requested
        if self.pipeline is not None:
            self.pipeline.settings = self.effective

    def assistant(self) -> Assistant | None:
        """The assistant for the loaded model and the current settings, built again when either
        changed (raises ``PromptError`` for a broken fix.toml or explain.toml)."""
        engine, settings = self.engine, self.effective
        if engine is None:
            return None
        current = self._assistant
        if current is None or current.engine is not engine or current.settings != settings:
            self._assistant = current = Assistant(engine, settings)
            self.explanations.clear()
        return current

    def remembered(self, key: tuple[str, str, str]) -> ExplainResult | None:
        found = self.explanations.get(key)
        if found is not None:
            self.explanations.move_to_end(key)
        return found

    def remember(self, key: tuple[str, str, str], result: ExplainResult) -> None:
        self.explanations[key] = result
        while len(self.explanations) > EXPLANATIONS_KEPT:
            self.explanations.popitem(last=False)

    # -- loading (worker thread) --------------------------------------------------------------
    def set_loading(self, settings: Settings) -> None:
        self.status = replace(self.status, state="loading", message="loading model",
                              path=settings.model_path or "(embedded Gemma 3 270M)")

    def load(self, settings: Settings, cancel: CancelToken, *, keep_working: bool = True
             ) -> ModelStatus:
        """Replace the engine. Never raises: failures become the status. With
        ``keep_working`` a model that fails leaves the working one serving."""
        working = self.settings if keep_working and self.engine is not None else None
        if working is None:
            self.unload()
        self._requested = settings
        try:
            path = _check_before_load(settings)
            if path is None and working is not None:
                # An inference server: connect to it before letting the working model go.
                opened = self._open(settings, path, cancel)
                self.unload()
            else:
                self.unload()  # two local models at once might not fit in memory
                opened = self._open(settings, path, cancel)
        except Exception as exc:  # a broken model or prompt file: reported, never raised
            if not isinstance(exc, EngineError | PromptError):
                log.exception("loading the model failed")
            return self._failed(settings, exc, working, cancel)
        self.load_error = None
        return self._install(opened, settings)

    def _open(self, settings: Settings, path: Path | None, cancel: CancelToken) -> _Opened:
        start = time.monotonic()
        engine = open_engine(settings, path, cancel)
        try:
            template = choose_completion_template(
                completion_templates(settings.prompts_dir), engine.info, engine,
                settings.completion_template)
        except PromptError:
            engine.close()
            raise
        load_ms = (time.monotonic() - start) * 1000
        _warm_up(engine, cancel)
        return _Opened(engine, template, load_ms, (time.monotonic() - start) * 1000 - load_ms)

    def _install(self, opened: _Opened, settings: Settings) -> ModelStatus:
        engine = opened.engine
        self.engine = engine
        self.settings = settings
        self._model_file = engine.info.path
        self._file_identity = _identity(engine.info.path)
        self.pipeline = CompletionPipeline(engine, opened.template, self.effective, self.index)
        self.status = ModelStatus(
            state="ready", message="ready", model=_display_name(engine.info),
            path=engine.info.path, engine=engine.info.engine, template=opened.template.family,
            load_ms=opened.load_ms, warm_up_ms=opened.warm_up_ms,
            last_latency_ms=self.status.last_latency_ms,
        )
        self._loaded_status = self.status
        log.info("model %s loaded in %.0f ms (%s)", engine.info.path, opened.load_ms,
                 opened.template.family)
        return self.status

    def _failed(self, settings: Settings, error: Exception, working: Settings | None,
                cancel: CancelToken) -> ModelStatus:
        self.load_error = error
        message = str(error)
        if working is not None and self.engine is None:
            # The real load failed after the working model was let go: load it again.
            try:
                self._install(self._open(working, check_model(working), cancel), working)
            except Exception as again:
                message += f"; the previous model did not load again either: {again}"
        if self.engine is None:
            self.status = ModelStatus(state="error", message=message, path=settings.model_path,
                                      engine=settings.engine,
                                      last_latency_ms=self.status.last_latency_ms,
                                      load_error=message)
        else:
            self.status = replace(self._loaded_status, state="ready", load_error=message,
                                  message=f"ready with the previous model ({message})",
                                  last_latency_ms=self.status.last_latency_ms)
        return self.status

    def unload(self) -> None:
        if self.engine is not None:
            self.engine.close()
        self.engine = None
        self.pipeline = None
        self.settings = None
        self._assistant = None
        self.explanations.clear()
        self._file_identity = None

    # -- the model file -----------------------------------------------------------------------
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

    # -- what requests tell ---------------------------------------------------------------------
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


def _check_before_load(settings: Settings) -> Path | None:
    """Everything that can fail without loading: the model file (see ``check_model``) and the
    completion templates (a template named by hearth.completionTemplate must exist, and every
    file in hearth.promptsDir must parse)."""
    path = check_model(settings)
    templates = completion_templates(settings.prompts_dir)
    wanted = settings.completion_template
    if wanted != "auto" and wanted not in {t.family for t in templates}:
        raise PromptError(
            f"no completion template named {wanted!r} (hearth.completionTemplate; have: "
            f"{', '.join(sorted(t.family for t in templates))})")
    return path


def _warm_up(engine: Engine, cancel: CancelToken) -> None:
    """A short generation so the first real request does not pay for cold caches."""
    prepare = getattr(engine, "prepare", None)
    if callable(prepare):
        prepare()
    try:
        engine.generate(Prompt.plain(WARM_UP_PROMPT), GenerationParams(max_tokens=4),
                        cancel.with_deadline(time.monotonic() + WARM_UP_LIMIT_S))
    except Exception as exc:  # a failed warm-up only costs the first request its speed
        log.warning("warm-up generation failed: %s", exc)


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
