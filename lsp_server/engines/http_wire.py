"""What goes over the wire to an inference server and back, as pure functions: stream events of
both dialects (OpenAI's and llama.cpp's own), prompts made safe to send as one string, and what a
model's name tells when the server does not say."""

from __future__ import annotations

import re
from typing import Any

from .base import EngineError, Prompt, StopReason

_ARCHITECTURE_HINTS = (  # model names to GGUF architectures, for servers that do not say
    ("codegemma", "gemma"), ("gemma", "gemma"), ("qwen", "qwen2"), ("starcoder2", "starcoder2"),
    ("starcoder", "starcoder"), ("deepseek", "llama"), ("codellama", "llama"),
    ("llama", "llama"),
)
_QUANT = re.compile(r"(?:^|[-_.])((?:I?Q\d(?:_[A-Z0-9]+)*)|BF16|F16|F32)(?=$|[-_.])", re.I)


def parse_event(event: dict[str, Any], where: str) -> tuple[str, str, dict[str, int]]:
    """(text, finish reason or "", usage counts) from an OpenAI or llama.cpp stream event."""
    error = event.get("error")
    if error is not None:
        detail = error.get("message", error) if isinstance(error, dict) else error
        raise EngineError(f"the inference server at {where} failed mid-reply: {detail}")
    usage: dict[str, int] = {}
    counts = event.get("usage")
    if isinstance(counts, dict):
        usage["prompt"] = as_int(counts.get("prompt_tokens"))
        usage["generated"] = as_int(counts.get("completion_tokens"))
    timings = event.get("timings")
    if isinstance(timings, dict) and "cache_n" in timings:
        usage["cached"] = as_int(timings.get("cache_n"))
    if "tokens_cached" in event:
        usage["cached"] = as_int(event.get("tokens_cached"))
    if "tokens_evaluated" in event:
        usage["prompt"] = as_int(event.get("tokens_evaluated"))
    choices = event.get("choices")
    if isinstance(choices, list):
        if not choices:
            return "", "", usage  # the usage-only chunk at the end of an OpenAI stream
        choice = choices[0] if isinstance(choices[0], dict) else {}
        text = choice.get("text")
        finish = choice.get("finish_reason")
        if not isinstance(text, str):
            raise EngineError(f"the inference server at {where} sent a completion chunk"
                              f" without text: {str(event)[:120]}")
        return text, ("length" if finish == "length" else "eos") if finish else "", usage
    if "content" in event:  # llama.cpp's native endpoints (/infill, /completion)
        text = event.get("content")
        if not isinstance(text, str):
            raise EngineError(f"the inference server at {where} sent content that is not text")
        finished = ""
        if event.get("stop"):
            finished = {"word": "stop", "limit": "length"}.get(str(event.get("stop_type")), "eos")
        return text, finished, usage
    raise EngineError(f"the inference server at {where} sent an event hearth does not"
                      f" understand: {str(event)[:120]}")


def hold_back_blanks(prompt: Prompt) -> tuple[Prompt, str]:
    """Token healing as far as a server allows: a prompt that ends in spaces ("return ") ends
    inside a token for most vocabularies, which derails small models; the spaces are left out
    of the prompt and expected at the start of the answer instead."""
    if not prompt.parts:
        return prompt, ""
    last, markup = prompt.parts[-1]
    kept = last.rstrip(" \t")
    if markup or kept == last or (not kept and len(prompt.parts) == 1):
        return prompt, ""
    parts = prompt.parts[:-1] + (((kept, False),) if kept else ())
    return Prompt(parts, prompt.fields), last[len(kept):]


def defused_text(prompt: Prompt, stops: tuple[str, ...]) -> str:
    """The prompt as one string, with the template's control-token spellings broken up inside
    document text: servers parse special tokens anywhere in a prompt string, and a file that
    contains ``<|fim_prefix|>`` must not steer the model."""
    markers = {text for text, markup in prompt.parts if markup and looks_special(text)}
    markers |= {stop for stop in stops if looks_special(stop)}
    out: list[str] = []
    for text, markup in prompt.parts:
        if not markup:
            for marker in markers:
                if marker in text:
                    text = text.replace(marker, marker[0] + "\u200b" + marker[1:])
        out.append(text)
    return "".join(out)


def looks_special(text: str) -> bool:
    stripped = text.strip()
    return len(stripped) > 2 and stripped[0] in "<[" and stripped[-1] in ">]"


def stop_reason(reason: str) -> StopReason:
    known: tuple[StopReason, ...] = ("eos", "stop", "length", "deadline", "cancelled", "context")
    return next((r for r in known if r == reason), "eos")


def guess_architecture(name: str) -> str:
    lowered = name.lower()
    return next((arch for hint, arch in _ARCHITECTURE_HINTS if hint in lowered), "")


def guess_quantization(name: str) -> str:
    found = _QUANT.findall(name)
    return found[-1].upper() if found else ""


def as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
