"""Start-up (progress, warm-up, requests before the model is ready), bad settings, a missing
model, and switching models without restarting."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import PLAIN, inline_params, open_doc, start, status, wait_for_model


async def test_initialize_answers_at_once_and_early_requests_get_empty_answers(
        client: LanguageClient, tmp_path: Path) -> None:
    began = time.monotonic()
    await start(client, "visual-studio-code", {}, wait=False)  # the embedded Gemma model
    assert time.monotonic() - began < 5  # initialize does not wait for the model
    uri = open_doc(client, tmp_path / "a.py", "def f():\n    return ")
    assert (await status(client))["state"] == "loading"
    asked = time.monotonic()
    result = await client.text_document_inline_completion_async(inline_params(uri, 1, 11))
    assert result is None and time.monotonic() - asked < 0.5

    ready = await wait_for_model(client)
    assert ready["state"] == "ready" and ready["engine"] == "llama_cpp"
    assert "Gemma 3" in str(ready["model"])
    # Progress was reported around the load, and the load time was logged.
    reports = [r for rs in client.progress_reports.values() for r in rs]
    assert any(isinstance(r, types.WorkDoneProgressBegin) for r in reports)
    assert any(isinstance(r, types.WorkDoneProgressEnd) for r in reports)
    assert any("loaded" in m.message and " ms" in m.message for m in client.log_messages)
    # The warm-up generation ran before the first request.
    assert isinstance(ready["warmUpMs"], float) and ready["warmUpMs"] > 0


async def test_invalid_settings_are_reported_and_defaults_kept(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    ready = await start(client, "neovim", {"modelPath": str(tiny_model), "maxTokens": "lots",
                                           "threads": 0, "enigne": "x"})
    assert ready["state"] == "ready"
    warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
    assert warnings and "hearth.maxTokens" in warnings[0] and "hearth.threads" in warnings[0]
    assert "hearth.enigne" in warnings[0]
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    result = await client.text_document_inline_completion_async(inline_params(uri, 0, 4))
    assert result is not None  # still serving, with the default settings


async def test_missing_model_file_is_reported_and_server_stays_up(
        client: LanguageClient, tmp_path: Path) -> None:
    missing = tmp_path / "models" / "nowhere.gguf"
    current = await start(client, "neovim-0.12", {"modelPath": str(missing)})
    assert current["state"] == "error"
    errors = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert errors and str(missing) in errors[0] and "not found" in errors[0]
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    asked = time.monotonic()
    assert await client.text_document_inline_completion_async(inline_params(uri, 0, 4)) is None
    assert time.monotonic() - asked < 0.5
    assert (await status(client))["state"] == "error"


async def test_changed_model_path_reloads_without_restart(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(tiny_model.read_bytes()[:4096])
    current = await start(client, "visual-studio-code", {"modelPath": str(broken)})
    assert current["state"] == "error" and "broken.gguf" in str(current["message"])

    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"hearth": {"modelPath": str(tiny_model)}}))
    await asyncio.sleep(0.05)
    current = await wait_for_model(client)
    assert current["state"] == "ready" and current["path"] == str(tiny_model)
    uri = open_doc(client, tmp_path / "a.txt", "x = ", PLAIN)
    assert await client.text_document_inline_completion_async(inline_params(uri, 0, 4))
