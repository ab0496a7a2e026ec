"""The embedded model through the real server: an empty line with code after it gets the lines
the code below needs and none of the code already there; a helper the file imported for the
purpose is called."""

from __future__ import annotations

import ast
import asyncio
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import inline_params, open_doc, start, status

BUDGET = {"timeBudgetMs": 30000}  # a loaded test machine must not decide the outcome


async def suggest(client: LanguageClient, path: Path, prefix: str, suffix: str) -> str:
    uri = open_doc(client, path, prefix + suffix)
    line = prefix.count("\n")
    column = len(prefix.rsplit("\n", 1)[-1].encode("utf-8"))
    result = await client.text_document_inline_completion_async(
        inline_params(uri, line, column))
    assert result is not None
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    text = items[0].insert_text
    assert isinstance(text, str)
    return text


async def test_a_hole_is_filled_with_what_the_code_below_needs(
        client: LanguageClient, tmp_path: Path) -> None:
    prefix = 'def count_vowels(text):\n    """Count the vowels in text."""\n'
    suffix = ('\n    for char in text:\n        if char in "aeiou":\n            count += 1\n'
              "    return count\n")
    assert (await start(client, "neovim-0.12", BUDGET))["state"] == "ready"

    fill = await suggest(client, tmp_path / "vowels.py", prefix, suffix)

    assert "for char in text" not in fill  # never the code already after the cursor
    namespace: dict[str, object] = {}
    exec(prefix + fill + suffix, namespace)  # the suggestion must define count
    count_vowels = namespace["count_vowels"]
    assert callable(count_vowels) and count_vowels("banana") == 3, fill


async def test_a_hole_gets_several_lines_that_lead_into_the_code_after_it(
        client: LanguageClient, tmp_path: Path) -> None:
    prefix = 'def longest_word(words):\n    """The longest of the words."""\n    best = ""\n'
    suffix = "\n    return best\n"
    assert (await start(client, "neovim-0.12", BUDGET))["state"] == "ready"

    fill = await suggest(client, tmp_path / "words.py", prefix, suffix)

    assert fill.count("\n") >= 1, fill  # more than the one line a single-line plan would give
    assert "return best" not in fill
    ast.parse(prefix + fill + suffix)


async def test_a_helper_imported_for_the_purpose_is_called(
        client: LanguageClient, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "accounts").mkdir(parents=True)
    (root / "accounts" / "__init__.py").write_text("")
    (root / "accounts" / "emails.py").write_text(
        "def normalise_email_address(address: str) -> str:\n"
        '    """The canonical form of an email address: trimmed, lower-case, no +tag."""\n'
        '    local, _, domain = address.strip().lower().partition("@")\n'
        '    return local.split("+", 1)[0] + "@" + domain\n')
    prefix = ("from accounts.emails import normalise_email_address\n\n\n"
              "def register(users: dict[str, str], name: str, email: str) -> dict[str, str]:\n"
              '    """Remember a user\'s email address."""\n    users[name] = ')
    suffix = "\n    return users\n"
    (root / "accounts" / "registry.py").write_text(prefix + suffix)
    assert (await start(client, "neovim-0.12", BUDGET, root=root))["state"] == "ready"
    end = time.monotonic() + 30
    while (await status(client))["index"]["scanMs"] is None:
        assert time.monotonic() < end, "the workspace was not indexed"
        await asyncio.sleep(0.05)

    fill = await suggest(client, root / "accounts" / "registry.py", prefix, suffix)

    assert fill.startswith("normalise_email_address(email"), fill
