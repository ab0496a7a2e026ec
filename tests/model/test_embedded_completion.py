"""The embedded model through the real server: useful, parseable suggestions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import inline_params, open_doc, start

CASES = {
    "return expression": (
        "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"
        "    if n < 2:\n        return n\n    return ", ""),
    "empty function body": (
        "def is_even(number):\n    ", "\n\n\nprint(is_even(4))\n"),
    "loop body after colon": (
        "def total(prices):\n    result = 0\n    for price in prices:", "\n    return result\n"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_function_body_gets_a_parseable_suggestion(
        client: LanguageClient, case: str, tmp_path: Path) -> None:
    prefix, suffix = CASES[case]
    ready = await start(client, "neovim-0.12", {"timeBudgetMs": 20000})
    assert ready["state"] == "ready"
    uri = open_doc(client, tmp_path / "example.py", prefix + suffix)
    line = prefix.count("\n")
    column = len(prefix.rsplit("\n", 1)[-1].encode("utf-8"))

    result = await client.text_document_inline_completion_async(
        inline_params(uri, line, column))

    assert result is not None, f"no suggestion for {case}"
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    suggestion = items[0].insert_text
    assert isinstance(suggestion, str) and suggestion.strip()
    ast.parse(prefix + suggestion + suffix)  # raises SyntaxError if the file broke
