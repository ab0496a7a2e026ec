"""The real server against the client contract (editors/contract.schema.json): every
``hearth/status`` it pushes, every command's result, and its code actions validate, in each state
it reaches (loading, ready, error, unavailable). A field or state added to the server without the
contract fails here, and the clients' contract tests then say which client must learn it."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient

from tests.e2e.conftest import PLAIN, client, inline_params, open_doc, start, status
from tests.editors import contract
from tests.inference_servers import StubRequest, StubServer, openai_models

__all__ = ["client"]  # the pytest-lsp fixture: a real server over stdio

SOURCE = "def greet(name):\n    message = \"hello \" + name\n    return message\n"
_FROM_JSON = default_converter()  # type: ignore[no-untyped-call]


def valid(name: str, value: Any) -> Any:
    problems = contract.errors(name, value)
    assert problems == [], f"{name} breaks the contract: {problems}\n{value}"
    return value


class Wire:
    """The JSON the server sent, as it came off the wire (before pygls turns it into objects,
    which can lose what the contract is about, such as a code action's empty kind)."""

    def __init__(self, client: LanguageClient) -> None:
        self.messages: list[dict[str, Any]] = []
        structure = client.protocol.structure_message

        def recording(data: dict[str, Any]) -> Any:
            self.messages.append(copy.deepcopy(data))
            return structure(data)

        client.protocol.structure_message = recording  # type: ignore[method-assign]
        client.feature("hearth/status")(lambda params: None)
        self.edits: list[types.ApplyWorkspaceEditParams] = []

        @client.feature(types.WORKSPACE_APPLY_EDIT)  # type: ignore[untyped-decorator]
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            self.edits.append(params)  # as an editor does: hearth.fix applies its edit this way
            return types.ApplyWorkspaceEditResult(applied=True)

    def statuses(self) -> list[dict[str, Any]]:
        return [m["params"] for m in self.messages if m.get("method") == "hearth/status"]

    def last_result(self) -> Any:
        return next(m["result"] for m in reversed(self.messages)
                    if "result" in m and "method" not in m)

    async def until(self, state: str, timeout: float = 30) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = [s for s in self.statuses() if s["state"] == state]
            if found:
                return found[-1]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {state} status pushed: {[s['state'] for s in self.statuses()]}")

    def all_valid(self) -> None:
        assert self.statuses()
        for pushed in self.statuses():
            valid("Status", pushed)

    async def command(self, client: LanguageClient, name: str, *arguments: Any) -> Any:
        valid(_arguments_of(name), list(arguments))
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(arguments)))
        return valid(_result_of(name), self.last_result())


def _arguments_of(name: str) -> str:
    ref: str = contract.schema()["properties"]["commands"]["properties"][name]["properties"][
        "arguments"]["$ref"]
    return ref.rsplit("/", 1)[1]


def _result_of(name: str) -> str:
    ref: str = contract.schema()["properties"]["commands"]["properties"][name]["properties"][
        "result"]["$ref"]
    return ref.rsplit("/", 1)[1]


@pytest.mark.parametrize("profile", ["visual-studio-code", "neovim"])
async def test_statuses_commands_and_code_actions_follow_the_contract(
        client: LanguageClient, profile: str, tiny_model: Path, tmp_path: Path) -> None:
    wire = Wire(client)
    answers: list[types.InitializeResult] = []
    initialize = client.initialize_session

    async def recording(params: types.InitializeParams) -> types.InitializeResult:
        answers.append(await initialize(params))
        return answers[-1]

    client.initialize_session = recording  # type: ignore[method-assign]
    ready = await start(client, profile, {"modelPath": str(tiny_model), "maxTokens": 4,
                                          "explainMaxTokens": 8, "threads": 1})
    assert ready["state"] == "ready"
    valid("Status", ready)
    await wire.until("ready")
    assert wire.statuses()[0]["state"] == "loading"

    provider = answers[0].capabilities.execute_command_provider
    assert provider is not None
    assert sorted(provider.commands) == contract.commands()

    # the tiny model's random text survives the syntax checks only in a plain-text document
    notes = open_doc(client, tmp_path / "notes.txt", "Dear team,\nthe ", PLAIN)
    await client.text_document_inline_completion_async(inline_params(notes, 1, 4))
    await wire.command(client, "hearth.status")
    assert await wire.command(client, "hearth.lastCompletion") is not None
    uri = open_doc(client, tmp_path / "greet.py", SOURCE)
    assert (await wire.command(client, "hearth.documentState", uri))["version"] == 1
    assert await wire.command(client, "hearth.documentState",
                              (tmp_path / "closed.py").as_uri()) is None

    diagnostic = types.Diagnostic(
        range=types.Range(start=types.Position(line=2, character=11),
                          end=types.Position(line=2, character=18)),
        message='"message" is possibly unbound', source="Pylance")
    await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=1, character=4),
                          end=types.Position(line=2, character=18)),
        context=types.CodeActionContext(diagnostics=[diagnostic],
                                        trigger_kind=types.CodeActionTriggerKind.Invoked)))
    actions = wire.last_result()
    fixes = [a for a in actions if a.get("kind") == "quickfix"]
    explains = [a for a in actions if a.get("kind") == ""]
    assert len(fixes) == 2 and len(explains) == 1, actions
    for fix in fixes:
        valid("FixAction", fix)
    valid("ExplainAction", explains[0])

    data = fixes[0].get("data") or fixes[0]["command"]["arguments"][0]
    if "data" in fixes[0]:  # clients that resolve edits
        await client.code_action_resolve_async(
            _FROM_JSON.structure(fixes[0], types.CodeAction))
        valid("ResolvedFixAction", wire.last_result())
    await wire.command(client, "hearth.fix", data)
    await wire.command(client, "hearth.explain", *explains[0]["command"]["arguments"])
    wire.all_valid()


async def test_a_model_that_cannot_load_reports_error_by_the_contract(
        client: LanguageClient, tmp_path: Path) -> None:
    wire = Wire(client)
    failed = await start(client, "neovim", {"modelPath": str(tmp_path / "missing.gguf")})
    assert failed["state"] == "error"
    valid("Status", failed)
    await wire.until("error")
    wire.all_valid()


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer()
    server.routes["GET /v1/models"] = openai_models("team-coder-1.5b")
    yield server
    server.close()


async def test_an_inference_server_outage_reports_unavailable_by_the_contract(
        client: LanguageClient, stub: StubServer, tmp_path: Path) -> None:
    def html(r: StubRequest) -> None:
        r.raw(b"<html>maintenance</html>", 200, "text/html")

    stub.routes["POST /v1/completions"] = html
    wire = Wire(client)
    await start(client, "visual-studio-code", {"engine": "http", "serverUrl": stub.url,
                                               "maxTokens": 8})
    uri = open_doc(client, tmp_path / "greet.py", "def greet(name):\n    return ")
    await client.text_document_inline_completion_async(inline_params(uri, 1, 11))
    down = await status(client)
    assert down["state"] == "unavailable", down
    valid("Status", down)
    await wire.until("unavailable")
    wire.all_valid()
