"""Quick fixes over stdio: the action list (fast, no model), resolve (edit or the reason why
not), cancellation, completions first, and errors for bad input."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Union

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient

from tests.e2e.conftest import (
    PROFILES,
    capabilities,
    inline_params,
    open_doc,
    request_with_id,
    start,
    status,
    wait_busy,
    wait_for_model,
)

SOURCE = '''import math


def average(values):
    total = 0
    for v in values:
        total += v
    return total / len(value)


LIMIT = 10
'''
PYRIGHT = types.Diagnostic(
    range=types.Range(start=types.Position(line=7, character=23),
                      end=types.Position(line=7, character=28)),
    message='"value" is not defined', severity=types.DiagnosticSeverity.Error,
    source="Pyright", code="reportUndefinedVariable")
# The model writes the fix (the endless model's 30,000 tokens keep the job busy).
REWRITE = {"fixMethod": "rewrite"}
LONG_FIX = {"fixMaxTokens": 30000, "contextSize": 32768, "commandTimeoutMs": 120000, **REWRITE}


def action_params(uri: str, line: int, character: int, *,
                  diagnostics: list[types.Diagnostic] | None = None,
                  trigger: types.CodeActionTriggerKind | None = types.CodeActionTriggerKind.Invoked,
                  end: tuple[int, int] | None = None,
                  only: list[str] | None = None) -> types.CodeActionParams:
    end_line, end_character = end or (line, character)
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=line, character=character),
                          end=types.Position(line=end_line, character=end_character)),
        context=types.CodeActionContext(diagnostics=diagnostics or [], trigger_kind=trigger,
                                        only=only))


def _action_or_command(value: Any, _: type) -> types.Command | types.CodeAction:
    """As editors tell them apart: a Command's ``command`` is a string. (lsprotocol's own hook
    takes any action with a ``command`` for a Command.)"""
    kind = types.Command if isinstance(value.get("command"), str) else types.CodeAction
    converter = default_converter()  # type: ignore[no-untyped-call]
    structured: types.Command | types.CodeAction = converter.structure(value, kind)
    return structured


async def list_actions(client: LanguageClient, params: types.CodeActionParams
                       ) -> list[types.CodeAction]:
    client.protocol._converter.register_structure_hook(
        types.Command | types.CodeAction, _action_or_command)
    client.protocol._converter.register_structure_hook(
        Union[types.Command, types.CodeAction], _action_or_command)  # noqa: UP007
    result = await client.text_document_code_action_async(params)
    actions = [a for a in result or [] if isinstance(a, types.CodeAction)]
    assert len(actions) == len(result or [])  # CodeActions, never bare Commands
    return actions




@pytest.mark.parametrize("profile", PROFILES)
async def test_actions_come_back_at_once_without_the_model(
        client: LanguageClient, profile: str, tiny_model: Path, tmp_path: Path) -> None:
    ready = await start(client, profile, {"modelPath": str(tiny_model)})
    assert ready["state"] == "ready"
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    before = (await status(client))["generations"]

    began = time.monotonic()
    actions = await list_actions(client, action_params(uri, 7, 25, diagnostics=[PYRIGHT]))
    elapsed = time.monotonic() - began

    assert [a.title for a in actions] == [
        'Fix with hearth: "value" is not defined', "Fix bugs in this function",
        "Explain with hearth"]
    fix, function, explain = actions
    assert fix.kind == function.kind == types.CodeActionKind.QuickFix
    assert list(fix.diagnostics or []) == [PYRIGHT] and not function.diagnostics
    assert fix.edit is None and function.edit is None  # filled by codeAction/resolve
    assert isinstance(fix.data, dict) and fix.data["hearth"] == "fix"
    assert fix.data["region"] == {"start": {"line": 3, "character": 0},
                                  "end": {"line": 7, "character": 29}}
    assert fix.data["problems"][0]["source"] == "Pyright"
    assert explain.kind == types.CodeActionKind.Empty
    assert explain.command is not None and explain.command.command == "hearth.explain"
    assert list(explain.command.arguments or []) == [uri, {"start": {"line": 7, "character": 25},
                                               "end": {"line": 7, "character": 25}}]
    assert (await status(client))["generations"] == before  # the model was not asked
    assert elapsed < 2.0, elapsed


async def test_server_advertises_resolvable_code_actions(
        client: LanguageClient, tiny_model: Path) -> None:
    result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities("visual-studio-code"),
        initialization_options={"modelPath": str(tiny_model)}))
    provider = result.capabilities.code_action_provider
    assert isinstance(provider, types.CodeActionOptions)
    assert provider.resolve_provider is True
    assert types.CodeActionKind.QuickFix in (provider.code_action_kinds or [])
    commands = result.capabilities.execute_command_provider
    assert commands is not None and "hearth.explain" in commands.commands
    await wait_for_model(client)


async def test_a_diagnostic_from_another_server_yields_a_fix_anywhere(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "visual-studio-code", {"modelPath": str(tiny_model)})
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    ruff = types.Diagnostic(range=types.Range(start=types.Position(line=0, character=0),
                                              end=types.Position(line=0, character=11)),
                            message="`math` imported but unused", source="Ruff", code="F401")
    # The light bulb asks automatically: only the diagnostic's fix, no menu on every line.
    actions = await list_actions(client, action_params(
        uri, 0, 3, diagnostics=[ruff], trigger=types.CodeActionTriggerKind.Automatic))
    assert [a.title for a in actions] == ["Fix with hearth: `math` imported but unused"]
    assert isinstance(actions[0].data, dict)
    assert actions[0].data["region"]["start"] == {"line": 0, "character": 0}  # the statement
    # Without diagnostics an automatic request offers nothing inside a function...
    assert await client.text_document_code_action_async(action_params(
        uri, 5, 8, trigger=types.CodeActionTriggerKind.Automatic)) is None
    # ...but a selection may be explained, and `only` is honoured.
    selected = await list_actions(client, action_params(
        uri, 4, 0, end=(6, 18), trigger=types.CodeActionTriggerKind.Automatic))
    assert [a.title for a in selected] == ["Fix bugs in this function", "Explain with hearth"]
    quickfixes = await list_actions(client, action_params(uri, 5, 8, only=["quickfix"]))
    assert [a.title for a in quickfixes] == ["Fix bugs in this function"]


async def test_resolve_without_a_fix_says_why(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "visual-studio-code", {"modelPath": str(tiny_model), **REWRITE})
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    actions = await list_actions(client, action_params(uri, 7, 25, diagnostics=[PYRIGHT]))

    resolved = await client.code_action_resolve_async(actions[0])

    # The tiny model writes random characters: never a fix, always a reason.
    assert resolved.edit is None
    assert isinstance(resolved.data, dict)
    assert resolved.data["reason"] in ("unchanged", "syntax", "unrelated", "incomplete",
                                       "empty")
    assert resolved.data["message"]
    assert any(m.message == f"hearth: no fix: {resolved.data['message']}"
               for m in client.messages)
    assert resolved.title == actions[0].title
    after = await status(client)
    assert after["generations"]["completed"] >= 2  # warm-up + the fix
    assert (progress := client.progress_reports), "no $/progress for the fix"
    assert any(isinstance(r, types.WorkDoneProgressEnd) for rs in progress.values() for r in rs)


async def test_cancel_request_stops_the_fix_generation(
        client: LanguageClient, endless_model: Path, tmp_path: Path) -> None:
    await start(client, "neovim-0.12", {"modelPath": str(endless_model), **LONG_FIX})
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    actions = await list_actions(client, action_params(uri, 7, 25, diagnostics=[PYRIGHT]))
    before = (await status(client))["generations"]

    request = request_with_id(client, types.CODE_ACTION_RESOLVE, actions[0], "fix-1")
    await wait_busy(client, True)
    await asyncio.sleep(0.3)  # well into a generation of 30,000 tokens
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="fix-1"))

    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(request, 5)
    after = await wait_busy(client, False, timeout=3)
    assert after["generations"]["cancelled"] == before["cancelled"] + 1
    assert after["lastStopLatencyMs"] < 1000


async def test_cancelling_the_progress_stops_the_fix(
        client: LanguageClient, endless_model: Path, tmp_path: Path) -> None:
    await start(client, "visual-studio-code", {"modelPath": str(endless_model), **LONG_FIX})
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    actions = await list_actions(client, action_params(uri, 4, 8))
    request = asyncio.ensure_future(client.code_action_resolve_async(actions[0]))
    await wait_busy(client, True)
    tokens = list(client.progress_reports)
    assert tokens, "no progress was created"
    client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
                           types.WorkDoneProgressCancelParams(token=tokens[-1]))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(request, 5)
    await wait_busy(client, False, timeout=3)


async def test_completions_go_first_while_a_fix_runs(
        client: LanguageClient, endless_model: Path, tmp_path: Path) -> None:
    await start(client, "neovim-0.12", {"modelPath": str(endless_model), "maxTokens": 16,
                                        **LONG_FIX})
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    actions = await list_actions(client, action_params(uri, 7, 25, diagnostics=[PYRIGHT]))
    fix = request_with_id(client, types.CODE_ACTION_RESOLVE, actions[0], "fix-2")
    await wait_busy(client, True)
    await asyncio.sleep(0.3)

    began = time.monotonic()
    completion = await asyncio.wait_for(
        client.text_document_inline_completion_async(inline_params(uri, 10, 10)), 10)
    waited = time.monotonic() - began

    # Answered by a generation, while the fix still has thousands of tokens to go (the endless
    # model's text may be trimmed to nothing: suggestions never add syntax errors).
    last = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="hearth.lastCompletion", arguments=[]))
    assert isinstance(last, dict) and last["generation"]["generated_tokens"] > 0, completion
    assert waited < 5.0, waited
    assert not fix.done()
    await wait_busy(client, True, timeout=2)  # the fix carries on (resubmitted after yielding)
    assert not fix.done()
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="fix-2"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(fix, 5)


async def test_clients_without_resolve_get_a_fix_command(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    caps = capabilities("visual-studio-code")
    assert caps.text_document is not None and caps.text_document.code_action is not None
    caps.text_document.code_action.resolve_support = None
    await client.initialize_session(types.InitializeParams(
        capabilities=caps, initialization_options={"modelPath": str(tiny_model), **REWRITE}))
    await wait_for_model(client)
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    actions = await list_actions(client, action_params(uri, 7, 25, diagnostics=[PYRIGHT]))
    fix = actions[0]
    assert fix.data is None and fix.command is not None
    assert fix.command.command == "hearth.fix"
    outcome = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=fix.command.command, arguments=fix.command.arguments))
    assert isinstance(outcome, dict) and outcome["applied"] is False and outcome["reason"]


BAD_RANGE = {"start": {"line": 40, "character": 0}, "end": {"line": 41, "character": 0}}
BACKWARDS = {"start": {"line": 5, "character": 0}, "end": {"line": 4, "character": 0}}


@pytest.mark.parametrize(("command", "arguments"), [
    ("hearth.nope", []),
    ("hearth.explain", []),
    ("hearth.explain", ["file:///not/open.py", {"start": {"line": 0, "character": 0},
                                                "end": {"line": 0, "character": 0}}]),
    ("hearth.explain", ["URI", BAD_RANGE]),
    ("hearth.explain", ["URI", BACKWARDS]),
    ("hearth.explain", ["URI", "not a range"]),
    ("hearth.fix", ["not data"]),
    ("hearth.fix", [{"hearth": "fix", "uri": "URI", "range": BAD_RANGE}]),
])
async def test_bad_commands_get_errors_and_the_server_lives_on(
        client: LanguageClient, tiny_model: Path, tmp_path: Path, command: str,
        arguments: list[Any]) -> None:
    await start(client, "neovim", {"modelPath": str(tiny_model)})
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    arguments = [uri if a == "URI" else a for a in arguments]
    for argument in arguments:
        if isinstance(argument, dict) and argument.get("uri") == "URI":
            argument["uri"] = uri
    with pytest.raises(JsonRpcException) as error:
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command=command, arguments=arguments))
    assert error.value.code == types.ErrorCodes.InvalidParams
    assert (await status(client))["state"] == "ready"


async def test_bad_ranges_in_actions_get_errors(
        client: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    await start(client, "visual-studio-code", {"modelPath": str(tiny_model)})
    uri = open_doc(client, tmp_path / "avg.py", SOURCE)
    with pytest.raises(JsonRpcException) as error:
        await client.text_document_code_action_async(action_params(uri, 99, 0))
    assert error.value.code == types.ErrorCodes.InvalidParams
    with pytest.raises(JsonRpcException) as error:
        await client.text_document_code_action_async(action_params(
            "file:///never/opened.py", 0, 0))
    assert error.value.code == types.ErrorCodes.InvalidParams
    broken = types.CodeAction(title="x", data={"hearth": "fix", "uri": uri, "range": "nope"})
    with pytest.raises(JsonRpcException) as error:
        await client.code_action_resolve_async(broken)
    assert error.value.code == types.ErrorCodes.InvalidParams
    # Someone else's action comes back as it was.
    other = types.CodeAction(title="Organize imports", data={"server": "ruff"})
    assert await client.code_action_resolve_async(other) == other
    # A diagnostic from a stale version, past the end, is skipped rather than failing.
    stale = types.Diagnostic(range=types.Range(start=types.Position(line=80, character=0),
                                               end=types.Position(line=80, character=4)),
                             message="gone")
    actions = await list_actions(client, action_params(uri, 7, 25, diagnostics=[stale]))
    assert "Fix with hearth: gone" not in [a.title for a in actions]
    assert (await status(client))["state"] == "ready"
