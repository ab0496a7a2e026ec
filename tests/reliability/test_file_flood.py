"""A flood of 10,000 file events (a generator, a big checkout) while the editor works: the
server keeps answering at once, and the index ends up with every file."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pytest_lsp import LanguageClient

from tests.e2e.conftest import PLAIN, client, inline_params, open_doc, start, status

__all__ = ["client"]
FILES = 10_000


async def test_ten_thousand_file_events(client: LanguageClient, tiny_model: Path,
                                        tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "main.py").write_text("def main():\n    return 1\n", encoding="utf-8")
    await start(client, "neovim-0.12", {"modelPath": str(tiny_model), "maxTokens": 4},
                root=root)
    uri = open_doc(client, root / "main.txt", "x = ", PLAIN)
    end = time.monotonic() + 30
    while (await status(client))["index"]["pending"] and time.monotonic() < end:
        await asyncio.sleep(0.05)

    def generate() -> None:
        for batch in range(FILES // 500):
            folder = root / "generated" / f"batch_{batch}"
            folder.mkdir(parents=True)
            for i in range(500):
                (folder / f"mod_{i}.py").write_text(f"def f_{batch}_{i}(x):\n    return x\n",
                                                    encoding="utf-8")

    writer = asyncio.get_running_loop().run_in_executor(None, generate)
    slowest = 0.0
    while not writer.done():
        asked = time.monotonic()
        await status(client)
        await client.text_document_inline_completion_async(inline_params(uri, 0, 4))
        slowest = max(slowest, time.monotonic() - asked)
        await asyncio.sleep(0.05)
    await writer
    assert slowest < 2.0, f"the server stalled for {slowest:.2f} s during the flood"

    end = time.monotonic() + 120
    while time.monotonic() < end:
        index = (await status(client))["index"]
        if index["files"] >= FILES + 1 and not index["pending"]:
            break
        await asyncio.sleep(0.2)
    assert index["files"] >= FILES + 1, index
    assert index["symbols"] >= FILES
