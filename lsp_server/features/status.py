"""Commands that show what the server is doing: ``hearth.status`` (model, engine, load state,
last latency; also pushed as the ``hearth/status`` notification), ``hearth.lastCompletion``
(the exact prompt and generation behind the last suggestion, for tuning prompts) and
``hearth.documentState`` (hearth's copy of a document, to check it is in sync with the
editor's without sending the text back)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from ..server import HearthServer  # at run time: pygls reads handler annotations

STATUS_COMMAND = "hearth.status"
LAST_COMPLETION_COMMAND = "hearth.lastCompletion"
DOCUMENT_STATE_COMMAND = "hearth.documentState"


def register(server: HearthServer) -> None:
    @server.command(STATUS_COMMAND)
    def status(ls: HearthServer, *args: Any) -> dict[str, object]:
        return ls.service.status()

    @server.command(LAST_COMPLETION_COMMAND)
    def last_completion(ls: HearthServer, *args: Any) -> dict[str, object] | None:
        result = ls.service.last_completion
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

    @server.command(DOCUMENT_STATE_COMMAND)
    def document_state(ls: HearthServer, *args: Any) -> dict[str, object] | None:
        """``[uri]`` → version, length in characters, line count and the SHA-256 of the UTF-8
        text; None for a document hearth does not have open."""
        doc = ls.documents.get(args[0]) if args and isinstance(args[0], str) else None
        if doc is None:
            return None
        text = doc.text
        return {"uri": doc.uri, "version": doc.version, "characters": len(text),
                "lines": text.count("\n") + 1,
                "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()}
