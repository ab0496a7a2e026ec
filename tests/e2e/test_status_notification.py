"""``hearth/status``: what the editor clients' status bars show. Pushed on state changes, and
after completions at most once a second, the last one never lost."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from pytest_lsp import LanguageClient

from tests.e2e.conftest import inline_params, open_doc, start, status


def _plain(value: Any) -> Any:
    """pygls hands custom notifications over as attribute objects: back to plain data."""
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


async def test_status_is_pushed_on_load_and_after_the_last_completion(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    pushed: list[dict[str, Any]] = []

    def on_status(params: Any) -> None:
        pushed.append(_plain(params))

    client.feature("hearth/status")(on_status)

    ready = await start(client, "visual-studio-code", {"modelPath": str(tiny_model),
                                                      "maxTokens": 4})
    assert ready["state"] == "ready"
    end = time.monotonic() + 5
    while not any(p["state"] == "ready" for p in pushed) and time.monotonic() < end:
        await asyncio.sleep(0.02)
    assert [p["state"] for p in pushed][:1] == ["loading"]
    assert any(p["state"] == "ready" for p in pushed)

    uri = open_doc(client, tmp_path / "a.py", "def f(x):\n    return ")
    for _ in range(3):  # quicker than the once-a-second limit
        await client.text_document_inline_completion_async(inline_params(uri, 1, 11))
    completed = (await status(client))["generations"]["completed"]
    end = time.monotonic() + 5
    while time.monotonic() < end:
        if pushed and pushed[-1]["generations"]["completed"] >= completed:
            break
        await asyncio.sleep(0.05)
    last = pushed[-1]
    # (>=: background work may have run since)
    assert last["generations"]["completed"] >= completed, (last, completed)
    assert isinstance(last["lastLatencyMs"], float | int)
