"""The workspace index through the real server: $/progress at start-up, changes on disk
picked up by the watcher, and symbols from other files in the completion prompt."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import inline_params, open_doc, start, status

HELPER = ('def canonical_mailbox_key(address: str) -> str:\n'
          '    """Lower-cased mailbox with the +tag removed."""\n'
          '    return address.lower()\n')
MAIN = "from accounts import keys\n\n\ndef register(email):\n    key = keys."


def workspace(root: Path) -> Path:
    (root / "accounts").mkdir(parents=True)
    (root / "accounts" / "__init__.py").write_text("")
    (root / "accounts" / "keys.py").write_text(HELPER)
    (root / "app.py").write_text(MAIN)
    (root / ".env").write_text("TOKEN=hunter2\n")
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "index.js").write_text("function vendored() {}\n")
    return root


async def index_status(client: LanguageClient, until: Any, timeout: float = 20
                       ) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        current: dict[str, Any] = (await status(client))["index"]
        if until(current):
            return current
        await asyncio.sleep(0.05)
    raise AssertionError(f"index never reached the expected state: {current}")


async def test_indexing_reports_progress_and_follows_the_disk(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    await start(client, "visual-studio-code", {"modelPath": str(tiny_model)}, root=root)
    done = await index_status(client, lambda i: i["scanMs"] is not None)
    assert done["files"] == 3 and done["symbols"] == 2  # not .env, not node_modules
    titles: dict[str | int, str] = {}
    for token, reports in client.progress_reports.items():
        for report in reports:
            if isinstance(report, types.WorkDoneProgressBegin):
                titles[token] = report.title
    [token] = [t for t, title in titles.items() if title == "hearth: indexing workspace"]
    end = client.progress_reports[token][-1]
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "3 files, 2 symbols"

    # Made outside the editor: a new module, and a secret (never indexed).
    (root / "accounts" / "mail.py").write_text("def send_welcome(to):\n    pass\n")
    (root / ".env.local").write_text("def not_code(): pass\n")
    await index_status(client, lambda i: i["files"] == 4 and i["symbols"] == 3)
    (root / "accounts" / "mail.py").unlink()
    await index_status(client, lambda i: i["files"] == 3 and i["symbols"] == 2)


async def test_completion_prompt_carries_the_helper_from_another_file(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    await start(client, "neovim-0.12", {"modelPath": str(tiny_model), "maxTokens": 4},
                root=root)
    await index_status(client, lambda i: i["scanMs"] is not None)
    uri = open_doc(client, root / "app.py", MAIN)
    await client.text_document_inline_completion_async(inline_params(uri, 4, 16))
    last = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="hearth.lastCompletion", arguments=[]))
    assert isinstance(last, dict)
    prompt = "".join(text for text, _markup in last["prompt"])
    assert "# accounts/keys.py\ndef canonical_mailbox_key(address: str) -> str:" in prompt
    assert '"""Lower-cased mailbox with the +tag removed."""' in prompt
    assert prompt.index("canonical_mailbox_key") < prompt.index("def register(email):")
    assert "hunter2" not in prompt
    # The checked candidates are shown too; the greedy one comes first.
    assert last["candidates"] and last["candidates"][0]["origin"].startswith("greedy")
