"""Commands that show what the server is doing: ``hearth.status`` (model, engine, load state,
last latency; also pushed as the ``hearth/status`` notification) and ``hearth.lastCompletion``
(the exact prompt and generation behind the last suggestion, for tuning prompts)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..server import HearthServer  # at run time: pygls reads handler annotations

STATUS_COMMAND = "hearth.status"
LAST_COMPLETION_COMMAND = "hearth.lastCompletion"


def register(server: HearthServer) -> None:
    @server.command(STATUS_COMMAND)
    def status(ls: HearthServer, *args: Any) -> dict[str, object]:
        return ls.status_json()

    @server.command(LAST_COMPLETION_COMMAND)
    def last_completion(ls: HearthServer, *args: Any) -> dict[str, object] | None:
        result = ls.model.last_completion
        if result is None or result.generation is None:
            return None
        return {
            "suggestion": result.text,
            "reason": result.reason,
            "prompt": [[text, markup] for text, markup in result.prompt.parts]
            if result.prompt else [],
            "generation": asdict(result.generation),
            "candidates": [{"text": c.text, "origin": c.origin, "valid": c.valid,
                            "score": c.score} for c in result.considered.candidates]
            if result.considered else [],
            "contextMs": round(result.context_ms, 2),
            "totalMs": round(result.total_ms, 2),
        }
