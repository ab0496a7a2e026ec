"""An inference server on the LAN (llama.cpp's server, Ollama, vLLM, llama-cpp-python's server)
behind the same Engine protocol as the local engines.

Context, prompt templates and post-processing stay in hearth; the server only generates. Every
generation streams, so closing the connection stops it on the server as well. llama.cpp's
``/infill`` is used when the server has it and the template is fill-in-the-middle: the server
then lays out prefix and suffix with the model's own FIM tokens. Otherwise llama.cpp's own
``/completion`` (which says which slot it used) or ``/v1/completions`` gets the prompt hearth
rendered.

What the server reveals about its model decides the template: a tokenizer endpoint (``/tokenize``
on llama.cpp and vLLM, ``/extras/tokenize`` on llama-cpp-python) lets hearth check FIM tokens as
for a local model; Ollama's ``/api/show`` tells the architecture. A server without a tokenizer
endpoint gets the plain continuation template unless ``hearth.completionTemplate`` names one.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from typing import Any

from .. import faults
from ..config import Settings
from .base import (
    CancelToken,
    EngineError,
    Generation,
    GenerationParams,
    ModelInfo,
    Prompt,
    apply_stops,
)
from .http_transport import HttpTransport, ServerError, ServerUnavailable, Stopped
from .http_wire import (
    as_int,
    defused_text,
    guess_architecture,
    guess_quantization,
    hold_back_blanks,
    parse_event,
    stop_reason,
)

log = logging.getLogger(__name__)

# Tokenized once at load to learn the model's characters per token, so prompt budgets can be
# measured locally instead of with a round trip per chunk of text.
CALIBRATION_TEXT = '''import os
from dataclasses import dataclass


@dataclass
class Config:
    """Where the service keeps its files, and how long it waits."""

    root: str = os.path.expanduser("~/.cache/service")
    timeout_ms: int = 1500

    def path_for(self, name: str) -> str:
        safe = name.replace("/", "_").strip()
        return os.path.join(self.root, f"{safe}.json")


function debounce(fn, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
}
'''
LLAMA_CPP_BATCH = 2048  # llama-server's default -b
DEFAULT_CHARS_PER_TOKEN = 3.0  # code in common BPE vocabularies is 3-4; lower errs on the safe side
INFILL_PROBE = {"input_prefix": "def add(a, b):\n    return ", "input_suffix": "\n",
                "n_predict": 1, "temperature": 0.0, "stream": False}

@dataclass(frozen=True)
class ServerFacts:
    """What the probes found out; shown by ``doctor`` and in the log."""

    kind: str  # "llama.cpp", "ollama", "vllm", "llama-cpp-python" or "openai-compatible"
    model: str  # the name requests carry
    models: tuple[str, ...]
    context: int  # the server's context window in tokens; 0 if it does not say
    tokenizer: str  # the tokenize endpoint, or ""
    infill: bool
    infill_note: str  # why /infill is not used, when it is not


class HttpEngine:
    def __init__(self, settings: Settings, cancel: CancelToken | None = None) -> None:
        if not settings.server_url:
            raise EngineError("hearth.engine is http, but hearth.serverUrl is empty")
        self._transport = HttpTransport(
            settings.server_url, token=_token(settings.api_key_env),
            ca_bundle=settings.ca_bundle,
            connect_timeout=settings.server_connect_timeout_ms / 1000,
            read_timeout=settings.server_read_timeout_ms / 1000,
        )
        if settings.api_key_env and self._transport.endpoint.scheme == "http":
            log.warning("a token is sent to %s without TLS", self._transport.endpoint.display)
        self._settings = settings
        self._special: dict[str, bool] = {}
        self._chars_per_token = DEFAULT_CHARS_PER_TOKEN
        self._token_overhead = 0
        self._extra_warned = False
        # The llama.cpp slot holding this editor's prompt in its KV cache (-1: let the server
        # choose). Pinned because every keystroke cancels a request and sends the next one:
        # while the cancelled one still occupies its slot, the server would give the next
        # request another, idle slot with a cold cache and evaluate the whole prompt again,
        # and with many slots no request would ever find its cache warm.
        self._slot = -1
        self.facts, self._info = self._probe(cancel)

    # -- discovery --------------------------------------------------------------------------
    def _probe(self, cancel: CancelToken | None) -> tuple[ServerFacts, ModelInfo]:
        t = self._transport
        listed = t.get_json("/v1/models", cancel)
        entries = [e for e in (listed.get("data") if isinstance(listed, dict) else None) or []
                   if isinstance(e, dict) and isinstance(e.get("id"), str)]
        ids = tuple(e["id"] for e in entries)
        wanted = self._settings.server_model
        if wanted and ids and wanted not in ids:
            raise EngineError(f"the inference server at {t.endpoint.display} has no model"
                              f" {wanted!r} (hearth.serverModel); it has: {', '.join(ids)}")
        model = wanted or (ids[0] if ids else "")
        entry: dict[str, Any] = next((e for e in entries if e["id"] == model), {})
        meta: dict[str, Any] = entry["meta"] if isinstance(entry.get("meta"), dict) else {}

        kind, context, architecture, quant, file_size = "openai-compatible", 0, "", "", 0
        props = self._optional_json("GET", "/props", None, cancel)
        if isinstance(props, dict) and ("default_generation_settings" in props
                                        or "total_slots" in props):
            kind = "llama.cpp"
            settings = props.get("default_generation_settings") or {}
            context = as_int(props.get("n_ctx") or (settings.get("n_ctx")
                                                  if isinstance(settings, dict) else 0))
            file_size = as_int(meta.get("size"))
        elif entry.get("owned_by") == "vllm" or "max_model_len" in entry:
            kind, context = "vllm", as_int(entry.get("max_model_len"))
        elif isinstance(self._optional_json("GET", "/api/version", None, cancel), dict):
            kind = "ollama"
            shown = self._optional_json("POST", "/api/show", {"model": model}, cancel)
            if isinstance(shown, dict):
                info = shown.get("model_info") or {}
                details = shown.get("details") or {}
                architecture = str(info.get("general.architecture", ""))
                context = as_int(info.get(f"{architecture}.context_length"))
                quant = str(details.get("quantization_level", ""))
        elif entry.get("owned_by") == "me":
            kind = "llama-cpp-python"

        tokenizer = self._find_tokenizer(model, cancel)
        infill, note = self._detect_infill(kind, cancel)
        name = os.path.basename(model.rstrip("/")).removesuffix(".gguf") or model
        architecture = architecture or guess_architecture(name)
        facts = ServerFacts(kind, model, ids, context, tokenizer, infill, note)
        info = ModelInfo(
            path=t.endpoint.display,
            engine="http",
            architecture=architecture,
            name=name,
            context_length=as_int(meta.get("n_ctx_train")) or context,
            file_size=file_size,
            quantization=quant or guess_quantization(name),
            metadata={
                "general.name": name, "server.url": t.endpoint.display, "server.kind": kind,
                "server.model": model, "server.context": str(context),
                "server.api": "infill" if infill else "completions",
                "server.tokenizer": tokenizer,
                # What the status shows beside "ready": why /infill is not used, when a
                # llama.cpp server has it but cannot use it for this model.
                "server.note": f"/infill is not used ({note}); suggestions come from"
                               " /completion" if kind == "llama.cpp" and not infill else "",
            },
        )
        budget = self._settings.prompt_tokens + self._settings.max_tokens
        if context and budget > context:
            log.warning("the server's context (%d tokens) is smaller than hearth.promptTokens +"
                        " hearth.maxTokens (%d): long prompts will be refused", context, budget)
        log.info("inference server %s: %s, model %s, context %d, tokenizer %s, %s",
                 t.endpoint.display, kind, model or "(default)", context, tokenizer or "none",
                 "infill" if infill else f"completions ({note})")
        return facts, info

    def _optional_json(self, method: str, path: str, body: dict[str, Any] | None,
                       cancel: CancelToken | None) -> Any:
        """A probe whose failure only means the server lacks that feature."""
        try:
            with self._transport.request(method, path, body, cancel) as reply:
                return reply.json()
        except ServerUnavailable:
            raise
        except EngineError as exc:
            log.debug("probe %s: %s", path, exc)
            return None

    def _find_tokenizer(self, model: str, cancel: CancelToken | None) -> str:
        for path in ("/tokenize", "/extras/tokenize"):
            try:
                empty = self._tokenize_at(path, model, "", cancel)
                sample = self._tokenize_at(path, model, CALIBRATION_TEXT, cancel)
            except ServerUnavailable:
                raise
            except EngineError as exc:
                log.debug("no tokenizer at %s: %s", path, exc)
                continue
            self._token_overhead = len(empty)
            counted = max(1, len(sample) - len(empty))
            # Slightly fewer characters per token than measured: an estimate that runs over
            # the server's context costs a refused request, one that runs under costs nothing.
            self._chars_per_token = max(1.0, 0.9 * len(CALIBRATION_TEXT) / counted)
            return path
        return ""

    def _tokenize_at(self, path: str, model: str, text: str, cancel: CancelToken | None
                     ) -> list[int]:
        faults.trace_prompt(text)
        if path == "/tokenize":  # llama.cpp reads "content", vLLM reads "prompt"
            body: dict[str, Any] = {"content": text, "prompt": text, "add_special": False,
                                    "add_special_tokens": False}
        else:
            body = {"input": text}
        if model:
            body["model"] = model
        value = self._transport.post_json(path, body, cancel)
        tokens = value.get("tokens") if isinstance(value, dict) else None
        if not isinstance(tokens, list):
            raise EngineError(f"{path} answered without tokens")
        return tokens

    def _detect_infill(self, kind: str, cancel: CancelToken | None) -> tuple[bool, str]:
        api = self._settings.server_api
        if api == "completions":
            return False, "hearth.serverApi is completions"
        if api == "auto" and kind != "llama.cpp":
            return False, f"a {kind} server has no /infill"
        try:
            with self._transport.request("POST", "/infill", INFILL_PROBE, cancel) as reply:
                reply.json()
        except ServerUnavailable:
            raise
        except EngineError as exc:
            if api == "infill":
                raise EngineError(f"hearth.serverApi is infill, but {exc}") from exc
            return False, str(getattr(exc, "detail", exc))
        return True, ""

    # -- protocol ---------------------------------------------------------------------------
    @property
    def info(self) -> ModelInfo:
        return self._info

    def count_tokens(self, text: str) -> int:
        return math.ceil(len(text) / self._chars_per_token)

    def is_special_token(self, text: str) -> bool:
        """One token in the server's vocabulary, as far as its tokenizer endpoint tells."""
        if not self.facts.tokenizer:
            return False
        if text not in self._special:
            try:
                ids = self._tokenize_at(self.facts.tokenizer, self.facts.model, text, None)
            except EngineError as exc:
                log.debug("tokenizing %r: %s", text, exc)
                ids = []
            self._special[text] = len(ids) - self._token_overhead == 1
        return self._special[text]

    def generate(self, prompt: Prompt, params: GenerationParams, cancel: CancelToken) -> Generation:
        faults.trace_prompt(prompt.text)
        start = time.monotonic()
        held = ""
        if params.heal and not self._uses_infill(prompt):
            prompt, held = hold_back_blanks(prompt)
        path, body = self._request(prompt, params)
        text, reason, generated, first_ms = "", "length", 0, 0.0
        prompt_tokens, reused, slot = 0, -1, -1
        try:
            with self._transport.stream(path, body, cancel) as reply:
                for event in reply.events():
                    piece, finished, usage = parse_event(event, self._transport.endpoint.display)
                    if isinstance(event.get("id_slot"), int):
                        slot = event["id_slot"]
                    prompt_tokens = usage.get("prompt", prompt_tokens)
                    reused = usage.get("cached", reused)
                    generated = usage.get("generated", generated)
                    if piece:
                        if not first_ms:
                            first_ms = (time.monotonic() - start) * 1000
                        before = len(text)
                        text += piece
                        if "generated" not in usage:
                            generated += 1
                        text, stop = apply_stops(text, before, params)
                        if stop:
                            reason = "stop"
                            break
                    if finished:
                        reason = finished
                        break
                    if cancel.should_stop():
                        reason = cancel.reason()
                        break
                else:  # the stream ended without the server saying it was done
                    if not cancel.should_stop():
                        raise ServerUnavailable(
                            f"the inference server at {self._transport.endpoint.display} ended"
                            f" its reply to {path} before finishing it (did it stop or"
                            " restart?)")
                    reason = cancel.reason()
        except Stopped:
            reason = cancel.reason()
        except ServerUnavailable:
            self._slot = -1  # a restarted server has fresh slots
            raise
        except ServerError as exc:
            if exc.status == 400 and "context" in exc.detail.lower():
                log.warning("the server refused a prompt as too long: %s", exc.detail)
                return Generation("", "context", prompt_tokens=self.count_tokens(prompt.text),
                                  total_ms=(time.monotonic() - start) * 1000)
            raise
        if held:
            text = text[len(held):] if text.startswith(held) else text.lstrip(" \t")
        self._pin(slot, prompt_tokens, reused)
        return Generation(
            text=text, stop_reason=stop_reason(reason),
            prompt_tokens=prompt_tokens or self.count_tokens(prompt.text),
            reused_tokens=max(reused, 0), generated_tokens=generated, first_token_ms=first_ms,
            total_ms=(time.monotonic() - start) * 1000,
        )

    def _pin(self, slot: int, prompt_tokens: int, reused: int) -> None:
        """Keep the slot the server used; let go of a pinned one that turned out to hold
        little of this prompt (another editor's now), so the server picks again."""
        if slot < 0:
            return
        if self._slot >= 0 and 0 <= reused < prompt_tokens // 2 and prompt_tokens > 64:
            self._slot = -1
        else:
            self._slot = slot

    def _uses_infill(self, prompt: Prompt) -> bool:
        return self.facts.infill and prompt.field("prefix") is not None \
            and prompt.field("suffix") is not None

    def _request(self, prompt: Prompt, params: GenerationParams) -> tuple[str, dict[str, Any]]:
        prefix, suffix = prompt.field("prefix"), prompt.field("suffix")
        # Greedy and without repetition penalties, as the local engines decode: the same model
        # suggests the same code wherever it runs.
        common: dict[str, Any] = {"stream": True, "temperature": 0.0, "top_k": 1,
                                  "repeat_penalty": 1.0, "frequency_penalty": 0.0,
                                  "presence_penalty": 0.0, "cache_prompt": True}
        if params.stop:
            common["stop"] = list(params.stop)
        if self._uses_infill(prompt) and prefix is not None and suffix is not None:
            # The server tokenizes these as text (no special tokens) and adds its FIM markers;
            # the other files go as input_extra, which it lays out with the model's own
            # repository and file-separator tokens.
            return "/infill", {**common, "input_prefix": (prompt.field("context") or "") + prefix,
                               "input_suffix": suffix, "n_predict": params.max_tokens,
                               "input_extra": self._extra(prompt.files),
                               "id_slot": self._slot}
        if self.facts.kind == "llama.cpp":  # its own endpoint tells the slot it used
            return "/completion", {**common, "prompt": defused_text(prompt, params.stop),
                                   "n_predict": params.max_tokens, "id_slot": self._slot}
        body = {**common, "prompt": defused_text(prompt, params.stop),
                "max_tokens": params.max_tokens, "stream_options": {"include_usage": True}}
        if self.facts.model:
            body["model"] = self.facts.model
        return "/v1/completions", body

    def _extra(self, files: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
        """The other files for /infill, within the room the server's context leaves: llama.cpp
        keeps only the last tokens of an input_extra that does not fit, cutting a file in two
        and its repository header off, so whole files are left out instead, first ones
        first (the nearest are last)."""
        # llama.cpp keeps for input_extra what the slot's context leaves beside one batch
        # (2,048 tokens unless the server was started with another -b) and the answer.
        batch = max(self._settings.prompt_tokens, LLAMA_CPP_BATCH)
        room = self.facts.context - batch - 2 * self._settings.max_tokens
        if not self.facts.context:
            room = 1 << 30  # the server does not say; it cuts what does not fit
        chunks: list[dict[str, str]] = []
        used = 0
        for path, text in reversed(files):
            cost = self.count_tokens(text) + self.count_tokens(path) + 2
            if used + cost > room:
                self._warn_extra(len(files) - len(chunks), room)
                break
            used += cost
            chunks.append({"filename": path, "text": text})
        return chunks[::-1]

    def _warn_extra(self, dropped: int, room: int) -> None:
        if not self._extra_warned:
            self._extra_warned = True
            log.warning("cross-file context left out of /infill: %d file(s) do not fit the"
                        " %d tokens the server's context (%d per slot) leaves beside a batch"
                        " (hearth.promptTokens or more) and hearth.maxTokens", dropped,
                        max(room, 0), self.facts.context)

    def close(self) -> None:
        """Nothing to release: every request has its own connection, closed when it ends."""


def _token(env_name: str) -> str:
    if not env_name:
        return ""
    value = os.environ.get(env_name, "").strip()
    if not value:
        raise EngineError(f"hearth.apiKeyEnv names {env_name}, but that environment variable is"
                          " not set for the language server")
    return value
