"""What hearth may read, on real folders: symbolic links judged by what they point to, the deny
list in any letter case, and .gitignore files as git reads them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsp_server.index import WorkspaceIndex
from lsp_server.syntax_trees import Parsed
from lsp_server.workspace_files import FileRules, excluded, is_secret, private_document


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def walked(rules: FileRules, root: Path) -> set[str]:
    return {os.path.relpath(p, root) for p in rules.walk()}


def test_the_deny_list_ignores_letter_case() -> None:
    for name in (".ENV", ".Env.Local", "ID_RSA", "Id_Ed25519.PUB", "server.PEM", "TLS.Key",
                 "Secrets.JSON", "Credentials.yml", "CREDENTIALS", "Prod.TFSTATE", ".NPMRC"):
        assert is_secret(f"/p/{name}"), name
    for folder in (".ssh", ".SSH", ".aws", ".gnupg", ".kube"):
        assert is_secret(f"/home/u/{folder}/config"), folder
    for name in ("env.py", "Keys.py", "Monkey.py", "Environment.ts", "README.md", "ssh.py"):
        assert not is_secret(f"/p/{name}"), name
    assert excluded("Local_Settings.py", ["local_settings.py"])
    assert excluded("SECRETS/prod.yaml", ["secrets/"])
    assert not excluded("src/app.py", ["secrets/"])


def test_links_are_judged_by_the_file_they_point_to(tmp_path: Path) -> None:
    root = tree(tmp_path / "ws", {
        "config/credentials.py": "PASSWORD = 'x'\n",
        "app.py": "x = 1\n",
        "ignored/inner.py": "y = 1\n",
        ".gitignore": "ignored/\n",
    })
    outside = tree(tmp_path / "elsewhere", {"tokens.py": "TOKEN = 'x'\n", "b/c.py": "z = 1\n"})
    (root / "dbhelpers.py").symlink_to(Path("config") / "credentials.py")
    (root / "tokens.py").symlink_to(outside / "tokens.py")
    (root / "alias.py").symlink_to(root / "app.py")  # inside, allowed: as good as app.py
    (root / "peek.py").symlink_to(Path("ignored") / "inner.py")
    (root / "shared").symlink_to(outside, target_is_directory=True)
    (root / "dangling.py").symlink_to(tmp_path / "missing.py")
    rules = FileRules([str(root)])
    for rel in ("dbhelpers.py", "tokens.py", "peek.py", "shared/b/c.py", "shared/tokens.py",
                "dangling.py"):
        assert rules.denied(str(root / rel)), rel
    assert rules.denied(str(root / "shared"), is_dir=True)
    assert not rules.denied(str(root / "alias.py"))
    assert walked(rules, root) == {"app.py", "alias.py"}
    # An editor opening the link: private when what it points to is a secret.
    assert private_document(str(root / "dbhelpers.py"), [str(root)])
    assert not private_document(str(root / "alias.py"), [str(root)])
    assert not private_document(str(root / "tokens.py"), [str(root)])  # outside, not a secret


def test_a_workspace_folder_reached_through_a_link(tmp_path: Path) -> None:
    real = tree(tmp_path / "real", {"app.py": "x = 1\n", ".env": "K=1\n"})
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    root = tmp_path / "link"
    rules = FileRules([str(root)])
    assert walked(rules, root) == {"app.py"}
    assert rules.denied(str(root / ".env"))
    assert private_document(str(root / ".env"), [str(root)])
    assert private_document(str(root / "app.py"), [str(root)], ["APP.py"])


def test_user_globs_match_the_real_file_too(tmp_path: Path) -> None:
    root = tree(tmp_path / "ws", {"generated/keys.py": "K = 1\n"})
    (root / "keys.py").symlink_to(Path("generated") / "keys.py")
    assert private_document(str(root / "keys.py"), [str(root)], ["generated/"])
    assert FileRules([str(root)], ["generated/"]).denied(str(root / "keys.py"))


def test_nested_gitignore_rules_as_git_reads_them(tmp_path: Path) -> None:
    root = tree(tmp_path / "ws", {
        ".gitignore": "*.py\n!/top.py\nbuild/\n!build/keep.py\n",
        "top.py": "",
        "drop.py": "",
        "sub/.gitignore": "!keep.py\n",
        "sub/keep.py": "",
        "sub/other.py": "",
        "sub/deeper/keep.py": "",
        "sub/deeper/.gitignore": "keep.py\n",  # deepest file wins: ignored again here
        "build/keep.py": "",  # its folder is ignored: git cannot bring it back
        "lib/.gitignore": "!\nlocal.py\n",  # a line git cannot read is skipped, not the file
        "lib/local.py": "",
        "lib/ok.js": "",
    })
    rules = FileRules([str(root)])
    assert walked(rules, root) == {"top.py", "sub/keep.py", "lib/ok.js"}
    assert rules.denied(str(root / "build" / "keep.py"))  # as the watcher would ask
    assert not rules.denied(str(root / "sub" / "keep.py"))
    assert rules.denied(str(root / "sub" / "deeper" / "keep.py"))


def test_a_nested_negation_is_indexed(tmp_path: Path) -> None:
    root = tree(tmp_path / "ws", {
        ".gitignore": "*.py\n",
        "pkg/.gitignore": "!keep.py\n",
        "pkg/keep.py": "def kept_by_negation():\n    pass\n",
        "pkg/lost.py": "def ignored_here():\n    pass\n",
    })
    index = WorkspaceIndex()
    index.start(FileRules([str(root)]))
    try:
        assert index.wait_idle(30)
        assert index.symbols_named("kept_by_negation")
        assert not index.symbols_named("ignored_here")
    finally:
        index.close()


def parsed(text: str) -> Parsed:
    tree_ = Parsed.parse(text, "python")
    assert tree_ is not None
    return tree_


@pytest.mark.parametrize("on_disk", [False, True])
def test_a_closed_document_leaves_the_index_unless_on_disk(tmp_path: Path,
                                                           on_disk: bool) -> None:
    root = tree(tmp_path / "ws", {"app.py": "x = 1\n"})
    path = root / "draft.py"
    if on_disk:
        path.write_text("def saved_version():\n    pass\n", encoding="utf-8")
    index = WorkspaceIndex()
    index.start(FileRules([str(root)]))
    try:
        assert index.wait_idle(30)
        index.document_changed(str(path), parsed("def unsaved_version():\n    pass\n"))
        assert index.wait_idle(10)
        assert index.symbols_named("unsaved_version")
        assert index.similar(frozenset({"unsaved_version"}), "", min_score=0.01)
        index.document_closed(str(path))
        assert index.wait_idle(10)
        assert not index.symbols_named("unsaved_version")
        assert bool(index.symbols_named("saved_version")) is on_disk
        assert index.stats().files == (2 if on_disk else 1)
        assert not index.similar(frozenset({"unsaved_version"}), "", min_score=0.01)
        # Closed before the index took its text (typing pause not over): never indexed.
        index.document_changed(str(path), parsed("def typed_then_closed():\n    pass\n"))
        index.document_closed(str(path))
        assert index.wait_idle(10)
        assert not index.symbols_named("typed_then_closed")
    finally:
        index.close()


def test_a_document_opened_through_a_link_to_a_secret_is_not_indexed(tmp_path: Path) -> None:
    root = tree(tmp_path / "ws", {"config/credentials.py": "PASSWORD = 'x'\n"})
    (root / "dbhelpers.py").symlink_to(Path("config") / "credentials.py")
    index = WorkspaceIndex()
    index.start(FileRules([str(root)]))
    try:
        index.document_changed(str(root / "dbhelpers.py"),
                               parsed("def db_password():\n    return 'x'\n"))
        assert index.wait_idle(10)
        assert index.stats().files == 0
    finally:
        index.close()
