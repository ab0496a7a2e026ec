"""The workspace index on a real folder: what it reads, what it must never read, and lookups."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsp_server.index import WorkspaceIndex
from lsp_server.syntax_trees import Parsed
from lsp_server.workspace_files import FileRules, excluded, is_secret

FILES = {
    "pkg/__init__.py": "",
    "pkg/util.py": 'def helper(x: int) -> int:\n    """Double it."""\n    return 2 * x\n',
    "app.py": "from pkg.util import helper\nfrom . import pkg\n\nprint(helper(2))\n",
    "web/x.js": "// Greets.\nexport function greet(name) { return 'hi ' + name; }\n",
    "web/main.js": "import {greet} from './x';\ngreet('a');\n",
    ".env": "API_KEY=hunter2\n",
    ".env.production": "API_KEY=hunter3\n",
    "deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "deploy/server.key": "secret\n",
    "deploy/settings.py": "def leak_nothing():\n    pass\n",
    "node_modules/lib/index.js": "function vendored() {}\n",
    ".venv/lib/site.py": "def venv_code(): pass\n",
    "odd-env/pyvenv.cfg": "home = /usr\n",
    "odd-env/lib/mod.py": "def also_venv(): pass\n",
    "build/gen.py": "def generated(): pass\n",
    ".gitignore": "ignored.py\nlogs/\n",
    "ignored.py": "def ignored(): pass\n",
    "logs/a.py": "def logged(): pass\n",
    "sub/.gitignore": "local.py\n",
    "sub/local.py": "def local_only(): pass\n",
    "sub/kept.py": "def kept(): pass\n",
    "generated/g.py": "def excluded_by_setting(): pass\n",
    "notes.txt": "def not_code(): pass\n",
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "blob.py").write_bytes(b"def binary():\x00\x01\x02 pass\n")
    (root / "huge.py").write_text("x = 1\n" * 200_000)
    return root


def start(root: Path) -> WorkspaceIndex:
    index = WorkspaceIndex()
    progress: list[tuple[int, int]] = []
    index.start(FileRules([str(root)], ["generated/"]), on_progress=lambda d, t: progress.append(
        (d, t)))
    assert index.wait_idle(30)
    assert progress and progress[-1][0] == progress[-1][1]  # ended at 100%
    return index


def indexed(index: WorkspaceIndex, root: Path) -> set[str]:
    return {os.path.relpath(p, root) for p in index._files}


def test_indexes_source_and_leaves_out_secrets_ignored_vendored_binary_huge(
        workspace: Path) -> None:
    index = start(workspace)
    try:
        assert indexed(index, workspace) == {
            "pkg/__init__.py", "pkg/util.py", "app.py", "web/x.js", "web/main.js",
            "deploy/settings.py", "sub/kept.py"}
        assert index.scan_ms is not None
        stats = index.stats()
        assert stats.files == 7 and stats.pending == 0
    finally:
        index.close()


def test_secret_names_and_exclude_globs() -> None:
    for name in (".env", ".env.local", "prod.env", "id_rsa", "id_ed25519.pub", "tls.pem",
                 "server.key", ".npmrc", "credentials.json", "terraform.tfstate"):
        assert is_secret(f"/p/{name}"), name
    for name in ("env.py", "keys.py", "monkey.py", "environment.ts", "README.md"):
        assert not is_secret(f"/p/{name}"), name
    assert excluded("secrets/prod.yaml", ["secrets/"])
    assert excluded("a/.env", [])
    assert not excluded("src/app.py", ["secrets/"])


def test_lookups_resolve_symbols_and_modules(workspace: Path) -> None:
    index = start(workspace)
    try:
        [(entry, symbol)] = index.symbols_named("helper")
        assert entry.rel == "pkg/util.py"
        assert symbol.signature == "def helper(x: int) -> int:" and symbol.doc == "Double it."
        app = str(workspace / "app.py")
        util = index.resolve_module(app, "pkg.util", "python")
        assert util is not None and util.rel == "pkg/util.py"
        assert index.resolve_module(str(workspace / "pkg/util.py"), ".", "python") is not None
        js = index.resolve_module(str(workspace / "web/main.js"), "./x", "javascript")
        assert js is not None and [s.name for s in js.symbols] == ["greet"]
        assert index.symbols_named("greet")[0][1].doc == "Greets."
        assert index.symbols_named("leak_nothing")  # an ordinary file in a folder named deploy
        assert not index.symbols_named("vendored") and not index.symbols_named("local_only")
    finally:
        index.close()


def test_changes_on_disk_update_and_remove_entries(workspace: Path) -> None:
    index = start(workspace)
    try:
        util = workspace / "pkg/util.py"
        util.write_text("def helper2(y):\n    return y\n")
        (workspace / "new.py").write_text("def brand_new(): pass\n")
        (workspace / ".env").write_text("API_KEY=changed\n")
        index.files_changed([str(util), str(workspace / "new.py"), str(workspace / ".env")])
        assert index.wait_idle(10)
        assert not index.symbols_named("helper")
        assert index.symbols_named("helper2") and index.symbols_named("brand_new")
        assert ".env" not in indexed(index, workspace)
        util.unlink()
        index.files_changed([str(util)])
        assert index.wait_idle(10)
        assert not index.symbols_named("helper2")
        os.rename(workspace / "web", workspace / "www")
        index.files_changed([str(workspace / "web"), str(workspace / "www")])
        assert index.wait_idle(10)
        assert {"www/x.js", "www/main.js"} <= indexed(index, workspace)
        assert "web/x.js" not in indexed(index, workspace)
    finally:
        index.close()


def test_open_documents_become_snippet_sources(workspace: Path) -> None:
    index = start(workspace)
    try:
        text = ("def total_price(cart, tax_rate):\n    subtotal = sum(item.price for item in cart)"
                "\n    return subtotal * (1 + tax_rate)\n")
        path = str(workspace / "shop.py")
        parsed = Parsed.parse(text, "python")
        assert parsed is not None
        index.document_changed(path, parsed)
        assert index.wait_idle(10)
        assert index.symbols_named("total_price")
        found = index.similar(frozenset({"cart", "subtotal", "price", "tax_rate"}),
                              exclude_path=str(workspace / "other.py"))
        assert found and found[0].rel == "shop.py" and "subtotal" in found[0].text
        assert index.similar(frozenset({"cart", "subtotal"}), exclude_path=path) == []
        secret = Parsed.parse("TOKEN = 'x'\n", "python")
        assert secret is not None
        index.document_changed(str(workspace / ".env"), secret)  # never a snippet source
        assert index.wait_idle(10)
        assert not index.similar(frozenset({"TOKEN"}), exclude_path="")
    finally:
        index.close()


def test_a_changed_exclude_forgets_and_brings_back_files(workspace: Path) -> None:
    index = start(workspace)
    try:
        app = str(workspace / "app.py")
        index.apply_exclude(["generated/", "pkg/", "web/x.js"])
        # At once, whatever the index thread has done yet: no query returns them.
        assert not index.symbols_named("helper") and not index.symbols_named("greet")
        assert index.resolve_module(app, "pkg.util", "python") is None
        assert index.file(str(workspace / "web/x.js")) is None
        assert index.wait_idle(10)
        assert indexed(index, workspace) == {"app.py", "web/main.js", "deploy/settings.py",
                                             "sub/kept.py"}
        index.apply_exclude([])  # generated/ is no longer excluded either
        assert index.wait_idle(10)
        assert indexed(index, workspace) == {
            "pkg/__init__.py", "pkg/util.py", "app.py", "web/x.js", "web/main.js",
            "deploy/settings.py", "sub/kept.py", "generated/g.py"}
        assert index.symbols_named("helper") and index.symbols_named("excluded_by_setting")
        assert index.stats().pending == 0
    finally:
        index.close()
