"""The embedded model through the real server: quick fixes that fix, explanations that explain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import open_doc, start
from tests.e2e.test_code_actions import action_params, list_actions

# (document, diagnostic line, start, end, message as pyright says it, the fixed document)
CASES = {
    "undefined name": (
        "import math\n\n\ndef area(r):\n    return math.pi * r ** 2\n\n\n"
        "def circumference(r):\n    return 2 * math.pi * rr\n",
        8, 25, 27, '"rr" is not defined',
        "import math\n\n\ndef area(r):\n    return math.pi * r ** 2\n\n\n"
        "def circumference(r):\n    return 2 * math.pi * r\n"),
    "unclosed parenthesis": (
        'def greet(name):\n    print("Hello, " + name\n',
        1, 9, 10, '"(" was not closed',
        'def greet(name):\n    print("Hello, " + name)\n'),
}
OPTIONS = {"threads": 1, "commandTimeoutMs": 120000}


def apply(text: str, edit: types.WorkspaceEdit, uri: str) -> str:
    changes = edit.changes[uri] if edit.changes else [
        e for change in edit.document_changes or []
        if isinstance(change, types.TextDocumentEdit) for e in change.edits]
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    out, pos = [], 0
    for change in sorted(changes, key=lambda c: (c.range.start.line, c.range.start.character)):
        assert isinstance(change, types.TextEdit)
        start = starts[change.range.start.line] + change.range.start.character
        end = starts[change.range.end.line] + change.range.end.character
        out += [text[pos:start], change.new_text]
        pos = end
    return "".join([*out, text[pos:]])


async def fix_actions(client: LanguageClient, uri: str, line: int, first: int, last: int,
                      message: str, source: str) -> list[types.CodeAction]:
    """The actions for a diagnostic another server reported on ``line``, ``first``–``last``."""
    diagnostic = types.Diagnostic(
        range=types.Range(start=types.Position(line=line, character=first),
                          end=types.Position(line=line, character=last)),
        message=message, source=source)
    return await list_actions(client, action_params(uri, line, first, diagnostics=[diagnostic]))


@pytest.mark.parametrize("case", list(CASES))
async def test_resolving_a_pyright_diagnostic_gives_a_small_valid_fix(
        client: LanguageClient, case: str, tmp_path: Path) -> None:
    text, line, first, last, message, fixed = CASES[case]
    ready = await start(client, "visual-studio-code", OPTIONS)
    assert ready["state"] == "ready"
    uri = open_doc(client, tmp_path / "shapes.py", text)
    actions = await fix_actions(client, uri, line, first, last, message, "Pyright")
    assert actions[0].title == f"Fix with hearth: {message}"

    resolved = await client.code_action_resolve_async(actions[0])

    assert resolved.edit is not None, resolved.data
    edits = [e for change in resolved.edit.document_changes or []
             if isinstance(change, types.TextDocumentEdit) for e in change.edits]
    assert edits and all(isinstance(e, types.TextEdit) for e in edits)
    region = actions[0].data["region"] if isinstance(actions[0].data, dict) else {}
    for edit in edits:  # inside the announced region, and small
        assert isinstance(edit, types.TextEdit)
        assert edit.range.start.line >= region["start"]["line"]
        assert edit.range.end.line <= region["end"]["line"]
        assert len(edit.new_text) <= 4
    result = apply(text, resolved.edit, uri)
    ast.parse(result)
    assert result == fixed


async def test_explanations_are_readable_markdown(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, "neovim-0.12", OPTIONS)
    text = "def is_palindrome(word):\n    word = word.lower()\n    return word == word[::-1]\n"
    uri = open_doc(client, tmp_path / "words.py", text)
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="hearth.explain", arguments=[uri, {"start": {"line": 1, "character": 4},
                                                   "end": {"line": 1, "character": 4}}]))
    assert isinstance(result, dict)
    title, _, body = result["markdown"].partition("\n\n")
    assert title == "**Explanation: `is_palindrome` (words.py 1–3)**"
    words = body.split()
    assert words[:2] == ["This", "function"] and len(words) >= 6
    assert "palindrome" in body.lower() or "word" in body.lower()


# Wrong results, no syntax error: the embedded base model finds the small edit it expected
# (QuixBugs programs; the diagnostic is what their failing test says, where it says it).
WRONG_RESULTS = {
    "bucketsort": (
        "def bucketsort(arr, k):\n    counts = [0] * k\n    for x in arr:\n"
        "        counts[x] += 1\n\n    sorted_arr = []\n    for i, count in enumerate(arr):\n"
        "        sorted_arr.extend([i] * count)\n\n    return sorted_arr\n",
        0, 4, 14, "bucketsort([3, 11, 2, 9, 1, 5], 12) returned [0, 0, 0, 1, 1, 1, 1, 1, 1, "
                  "1, 1, 1, 1, 1, 2, 2, 9, ...], expected [1, 2, 3, 5, 9, 11]",
        "bucketsort([3, 11, 2, 9, 1, 5], 12)", [1, 2, 3, 5, 9, 11]),
    "flatten": (
        "def flatten(arr):\n    for x in arr:\n        if isinstance(x, list):\n"
        "            for y in flatten(x):\n                yield y\n        else:\n"
        "            yield flatten(x)\n",
        1, 4, 17, "TypeError: 'int' object is not iterable",
        "list(flatten([[1, [], [2, 3]], [[4]], 5]))", [1, 2, 3, 4, 5]),
}


@pytest.mark.parametrize("case", list(WRONG_RESULTS))
async def test_a_function_with_wrong_results_gets_a_one_line_fix_that_works(
        client: LanguageClient, case: str, tmp_path: Path) -> None:
    text, line, first, last, message, call, expected = WRONG_RESULTS[case]
    await start(client, "visual-studio-code", OPTIONS)
    uri = open_doc(client, tmp_path / f"{case}.py", text)
    actions = await fix_actions(client, uri, line, first, last, message, "tests")

    resolved = await client.code_action_resolve_async(actions[0])

    assert resolved.edit is not None, resolved.data
    fixed = apply(text, resolved.edit, uri)
    changed = [a for a, b in zip(text.split("\n"), fixed.split("\n"), strict=True) if a != b]
    assert len(changed) == 1
    namespace: dict[str, object] = {}
    exec(compile(fixed, f"{case}.py", "exec"), namespace)  # the fix, run as its tests would
    assert eval(call, namespace) == expected
