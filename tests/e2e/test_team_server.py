"""`hearth-lsp team-server` for real: it starts the built llama-server, prints the settings
editors need, serves two hearth language servers (each over stdio with its own editor), and
stops cleanly on Ctrl-C. And hearth over stdio against llama-server with a model that cannot
fill in the middle: the status says why it uses /completion."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import server_env
from tests.e2e.conftest import PLAIN, inline_params, open_doc, start, status
from tests.engines.test_repo_fim import QWEN
from tests.inference_servers import LlamaCppServer, llama_server_binary
from tests.tiny_gguf import write_tiny_gguf

SOURCE = "def greet(name):\n    message = \"hello \" + name\n    return "


def team_server(*args: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    """The launcher as a user runs it; its output lines are collected as they come."""
    process = subprocess.Popen([sys.executable, "-m", "lsp_server", "team-server", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env)
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def wait_for_line(lines: list[str], pattern: str, timeout: float = 90) -> re.Match[str]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for line in list(lines):
            found = re.search(pattern, line)
            if found:
                return found
        time.sleep(0.05)
    raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(lines))


def port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with contextlib.suppress(OSError), socket.create_connection((host, int(port)), 0.5):
        return True
    return False


async def test_team_server_serves_two_editors_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    llama_server_binary()
    # One endless line: every suggestion has text whatever the prompt (the paths vary per run).
    model = write_tiny_gguf(tmp_path / "qwen2.5-coder-team.gguf", architecture="qwen2",
                            extra_special=QWEN, allow_newlines=False)
    env = server_env(HEARTH_TEAM_KEY="s3cret-team-key", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    process, lines = team_server("--model", str(model), "--port", "0", "--slots", "2",
                                 "--context", "2048", "--api-key-env", "HEARTH_TEAM_KEY",
                                 env=env)
    clients: list[LanguageClient] = []
    try:
        url = wait_for_line(lines, r'"hearth\.serverUrl": "(http://127\.0\.0\.1:\d+)"').group(1)
        wait_for_line(lines, r'"hearth\.engine": "http"')
        wait_for_line(lines, r'"hearth\.apiKeyEnv": "HEARTH_TEAM_KEY"')
        wait_for_line(lines, r"slots +2 \(given\), 2048 tokens of context each")
        assert not any("s3cret-team-key" in line for line in lines)  # never printed
        # A generous time budget: this is about serving, and a loaded CI machine is slow.
        options = {"engine": "http", "serverUrl": url, "apiKeyEnv": "HEARTH_TEAM_KEY",
                   "maxTokens": 8, "timeBudgetMs": 20000}
        config = ClientServerConfig(server_command=[sys.executable, "-m", "lsp_server", "serve"],
                                    server_env=env)
        for profile in ("visual-studio-code", "neovim-0.12"):
            client = await config.start()
            assert isinstance(client, LanguageClient)
            clients.append(client)
            ready = await start(client, profile, options)
            assert ready["state"] == "ready" and ready["engine"] == "http", ready
            assert ready["template"] == "qwen2.5-coder" and ready["path"] == url
        for number, client in enumerate(clients):
            # Plain text: the tiny model's random characters are not held to Python's syntax.
            uri = open_doc(client, tmp_path / f"greet{number}.txt", SOURCE, PLAIN)
            result = await asyncio.wait_for(client.text_document_inline_completion_async(
                inline_params(uri, 2, 11, invoked=True)), 30)
            if not isinstance(result, types.InlineCompletionList):
                last = await client.workspace_execute_command_async(
                    types.ExecuteCommandParams(command="hearth.lastCompletion", arguments=[]))
                raise AssertionError(f"{await status(client)}\n{last}\n" + "\n".join(lines))
            assert isinstance(result, types.InlineCompletionList) and result.items
            assert (await status(client))["generations"]["completed"] >= 2
        for client in clients:
            with contextlib.suppress(TimeoutError, RuntimeError):
                await asyncio.wait_for(client.shutdown_session(), 10)
        clients.clear()

        process.send_signal(signal.SIGINT)  # Ctrl-C
        assert process.wait(20) == 0
        wait_for_line(lines, r"team-server: stopping")
        assert not port_open(url)  # llama-server went with it
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.shutdown_session(), 5)
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_team_server_refuses_a_file_that_is_not_a_model(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("not a model")
    run = subprocess.run([sys.executable, "-m", "lsp_server", "team-server", "--model",
                          str(fake), "--slots", "1"], capture_output=True, text=True,
                         timeout=60, env=server_env(), check=False)
    assert run.returncode == 2
    assert f"--model {fake} is not a GGUF model file" in run.stderr
    run = subprocess.run([sys.executable, "-m", "lsp_server", "team-server", "--slots", "1",
                          "--api-key-env", "HEARTH_UNSET_KEY"], capture_output=True,
                         text=True, timeout=60, env=server_env(), check=False)
    assert run.returncode == 2
    assert "--api-key-env names HEARTH_UNSET_KEY, but that environment variable is not set" \
        in run.stderr


async def test_status_says_why_completions_are_used(embedded_model: Path, tmp_path: Path
                                                    ) -> None:
    with LlamaCppServer(embedded_model, log=tmp_path / "gemma.log") as server:
        config = ClientServerConfig(server_command=[sys.executable, "-m", "lsp_server", "serve"],
                                    server_env=server_env(XDG_CONFIG_HOME=str(tmp_path)))
        client = await config.start()
        assert isinstance(client, LanguageClient)
        try:
            ready = await start(client, "neovim-0.12", {"engine": "http",
                                                        "serverUrl": server.url,
                                                        "maxTokens": 8})
            assert ready["state"] == "ready" and ready["template"] == "base", ready
            assert "suggestions come from /completion" in ready["message"]
            assert "Infill is not supported by this model" in ready["message"]
            uri = open_doc(client, tmp_path / "greet.py", SOURCE)
            result = await asyncio.wait_for(client.text_document_inline_completion_async(
                inline_params(uri, 2, 11, invoked=True)), 30)
            assert result is None or isinstance(result, types.InlineCompletionList)
            assert SOURCE.rstrip() in server.get("/slots")[0]["prompt"]
        finally:
            with contextlib.suppress(TimeoutError, RuntimeError):
                await asyncio.wait_for(client.shutdown_session(), 10)
    assert os.environ.get("HEARTH_TEAM_KEY") is None
