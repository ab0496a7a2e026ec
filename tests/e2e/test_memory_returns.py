"""Memory comes back: a huge document opened, typed into and closed again and again leaves the
server's RSS where the first cycle left it (the real server over stdio, the tiny model).

Each cycle used to keep about 230 MB: the whole document's syntax tree and its outline."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import inline_params, open_doc, start, status
from tests.e2e.test_huge_documents import OPTIONS, huge_python, type_at

CYCLES = 4
ALLOWED_GROWTH_MB = 40  # one cycle's 20 MB text (and its JSON) may still be in the allocator


def rss_mb(client: LanguageClient) -> float:
    process = client._server  # the server's own process
    assert process is not None
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def test_closing_a_20_mb_document_gives_its_memory_back(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "neovim-0.12", {"modelPath": str(tiny_model), **OPTIONS})
    text = huge_python(20)
    last_line = text.count("\n")
    column = len(text) - text.rfind("\n") - 1
    after: list[float] = []
    for cycle in range(CYCLES):
        uri = open_doc(client, tmp_path / f"huge_{cycle}.py", text)
        for i in range(3):
            type_at(client, uri, 2 + i, last_line, column + i, "x")
        await client.text_document_inline_completion_async(
            inline_params(uri, last_line, column + 3, invoked=True))
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await status(client)  # the close has been handled
        after.append(rss_mb(client))
    growth = after[-1] - after[0]
    assert growth < ALLOWED_GROWTH_MB, f"RSS after each cycle: {after}"
