"""``hearth.exclude`` over stdio, beyond a single folder and a fixed setting: globs rooted in any
workspace folder, and a change at run time that reaches the workspace index (what is quoted in
other files' prompts), not only the open documents. Every text given to the engine is traced
(HEARTH_TRACE_PROMPTS)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import capabilities, open_doc, wait_for_model
from tests.e2e.test_failed_loads import configure
from tests.reliability import test_security
from tests.reliability.test_security import asked_everything, prompts, refused, wait_index

guarded = test_security.guarded  # the fixture: a server whose prompts are traced


async def start_folders(client: LanguageClient, options: dict[str, object],
                        *folders: Path) -> None:
    """initialize with several workspace folders (the first also as the root), then wait for
    the model."""
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities("visual-studio-code"),
        initialization_options=options,
        root_uri=folders[0].as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
    ))
    assert (await wait_for_model(client))["state"] == "ready"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


async def test_exclude_globs_apply_in_every_workspace_folder(
        guarded: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    """Globs relative to a folder (``generated/``, ``/config/*.py``) refuse the documents of
    the second folder as well as the first's, and a document there is shown to the model by
    its path in that folder."""
    first, second = tmp_path / "web", tmp_path / "tools"
    private = {
        "generated/models.py": 'def generated_model():\n    """SECRET-GENERATED-MODEL"""\n',
        "config/keys.py": 'def signing_key():\n    """SECRET-ROOTED-CONFIG"""\n',
    }
    orders = "from pkg.pricing import price_of\n\n\ndef total(items):\n    return "
    write(first, {"app.py": "def main():\n    pass\n"})
    write(second, {**private, "pkg/__init__.py": "", "pkg/orders.py": orders,
                   "pkg/pricing.py": 'def price_of(item):\n    """Net price."""\n'
                                     "    return item.price\n"})
    await start_folders(guarded, {"modelPath": str(tiny_model), "maxTokens": 8,
                                  "exclude": ["generated/", "/config/*.py"]}, first, second)
    assert (await wait_index(guarded))["files"] == 4  # app, pkg/__init__, orders, pricing

    for rel, text in private.items():
        await refused(guarded, open_doc(guarded, second / rel, text, "plaintext"))
    uri = open_doc(guarded, second / "pkg" / "orders.py", orders)
    await asked_everything(guarded, uri, 4, 11)

    given = prompts()
    assert any("def price_of" in p for p in given), "the engine saw nothing at all"
    assert any("# pkg/orders.py\n" in p for p in given), given[:1]  # its path in its folder
    leaked = [p for p in given if "SECRET" in p]
    assert not leaked, leaked[:2]


async def test_a_changed_exclude_reaches_the_workspace_index(
        guarded: LanguageClient, tiny_model: Path, tmp_path: Path) -> None:
    """Excluding files while the server runs takes their text out of every prompt at once
    (a file on disk, and an open document's unsaved text); removing the exclusion brings them
    back, the open document with its text in the editor."""
    root = tmp_path / "service"
    write(root, {"helpers.py": 'def format_total(value):\n    """MARK-DISK-HELPER"""\n'
                               "    return value\n",
                 "lib/tools.py": "def old_name():\n    pass\n"})
    app = ("from helpers import format_total\nfrom lib.tools import round_total\n\n\n"
           "def connect(value):\n    first = format_total(value)\n"
           "    second = round_total(value)\n    return ")
    write(root, {"app.py": app})
    model = {"modelPath": str(tiny_model), "maxTokens": 8}
    await start_folders(guarded, model, root)
    assert (await wait_index(guarded))["files"] == 3
    tools = open_doc(guarded, root / "lib" / "tools.py",
                     'def round_total(value):\n    """MARK-UNSAVED-TOOL"""\n    return value\n')
    uri = open_doc(guarded, root / "app.py", app)

    async def quoted() -> str:
        """Everything given to the engine for a completion in app.py."""
        before = len(prompts())
        await guarded.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=7, character=11),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
        given = "\n".join(prompts()[before:])
        assert "def connect" in given, "the engine saw nothing at all"
        return given

    await wait_index(guarded, lambda index: index["files"] == 3)
    given = await quoted()
    assert "MARK-DISK-HELPER" in given and "MARK-UNSAVED-TOOL" in given

    configure(guarded, {**model, "exclude": ["helpers.py", "lib/"]})
    assert (await wait_index(guarded, lambda index: index["files"] == 1))["files"] == 1
    given = await quoted()
    assert "MARK" not in given, given
    await refused(guarded, tools)

    configure(guarded, model)  # the exclusion removed: back in the index, as in the editor
    await wait_index(guarded, lambda index: index["files"] == 3)
    given = await quoted()
    assert "MARK-DISK-HELPER" in given and "MARK-UNSAVED-TOOL" in given
    assert "old_name" not in given
