"""The embedded model through the real server, in a small multi-file repository: the right
completion calls a helper defined in another file. hearth's pipeline (workspace index, project
context, names checked against the module) gets it; the naive prompt (the file's text before
the cursor, greedy) cannot know the helper's name."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_server.config import Settings
from lsp_server.engines.base import CancelToken, Engine, GenerationParams, Prompt
from lsp_server.models import load_engine
from tests.e2e.conftest import inline_params, open_doc, start, status

SLUGS = ('import re\n\n\ndef make_url_slug(title: str) -> str:\n'
         '    """Lower-case, hyphen-separated form of a title, for URLs."""\n'
         '    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")\n')
CASES = {
    "function": ('from textutils import slugs\n\n\ndef post_path(post):\n'
                 '    """The URL path of a blog post."""\n    return "/posts/" + slugs.'),
    "method": ('from textutils import slugs\n\n\nclass Post:\n    def __init__(self, title):\n'
               '        self.title = title\n        self.slug = slugs.'),
}


@pytest.fixture(scope="module")
def naive_engine(embedded_model: Path) -> Iterator[Engine]:
    engine = load_engine(Settings(model_path=str(embedded_model), threads=1))
    yield engine
    engine.close()


def repository(root: Path) -> Path:
    (root / "textutils").mkdir(parents=True)
    (root / "textutils" / "__init__.py").write_text("")
    (root / "textutils" / "slugs.py").write_text(SLUGS)
    (root / "blog").mkdir()
    (root / "blog" / "__init__.py").write_text("")
    return root


@pytest.mark.parametrize("case", list(CASES))
async def test_pipeline_calls_the_helper_from_another_file_and_naive_cannot(
        client: LanguageClient, case: str, tmp_path: Path, naive_engine: Engine) -> None:
    text = CASES[case]
    root = repository(tmp_path / "repo")
    (root / "blog" / "posts.py").write_text(text)
    ready = await start(client, "neovim-0.12", {"timeBudgetMs": 20000}, root=root)
    assert ready["state"] == "ready"
    end = time.monotonic() + 30
    while (await status(client))["index"]["scanMs"] is None:
        assert time.monotonic() < end, "the workspace was not indexed"
        await asyncio.sleep(0.05)
    uri = open_doc(client, root / "blog" / "posts.py", text)
    line = text.count("\n")
    column = len(text.rsplit("\n", 1)[-1])

    result = await client.text_document_inline_completion_async(
        inline_params(uri, line, column))

    assert result is not None
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    suggestion = items[0].insert_text
    assert isinstance(suggestion, str) and suggestion.startswith("make_url_slug("), suggestion

    naive = naive_engine.generate(
        Prompt.plain(text), GenerationParams(max_tokens=24, stop_when=lambda t: "\n" in t),
        CancelToken()).text.split("\n")[0]
    assert "make_url_slug" not in naive, naive
