"""Which workspace files hearth may read: never secrets, never what git ignores, never vendored,
generated, binary or huge files, and never a file whose real path (symbolic links resolved) is
outside the workspace folders or is itself one of those.

The same rules decide what the index parses, what the watcher reports and which open documents
may lend text to another file's prompt.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from fnmatch import translate
from functools import lru_cache

import pathspec

from .languages import language_for_path

# Files that hold credentials. They are never indexed, never quoted in a prompt, and get no
# suggestions (a remote inference server would see them). Matched whatever the letter case:
# on a case-insensitive file system `.ENV` is `.env`.
SECRET_PATTERNS: tuple[str, ...] = (
    ".env", ".env.*", "*.env", ".envrc", "*.pem", "*.key", "*.crt", "*.p12", "*.pfx", "*.jks",
    "*.keystore", "*.kdbx", "*.gpg", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    ".netrc", ".npmrc", ".pypirc", ".git-credentials", ".htpasswd", "credentials",
    "credentials.*", "secrets.*", "*.secret", "*.secrets", "*.tfstate", "*.tfstate.*",
    "*.tfvars", "service-account*.json",
)
# Folders whose every file is a credential store (reached through a link, or opened directly).
SECRET_DIRS = frozenset({".ssh", ".gnupg", ".aws", ".kube", ".password-store"})
_SECRET_NAME = re.compile("|".join(translate(pattern) for pattern in SECRET_PATTERNS))
# Folders that are tooling, dependencies or build output rather than the project's own code.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".jj", "node_modules", "bower_components", "__pycache__", ".venv",
    "venv", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
    ".eggs", "site-packages", "dist", "build", "target", "out", "_build", ".next", ".nuxt",
    ".svelte-kit", ".gradle", ".idea", ".cache", ".terraform", ".direnv", "coverage",
    "htmlcov", ".parcel-cache", ".turbo", "obj",
})
MAX_FILE_BYTES = 512 * 1024
_SNIFF_BYTES = 8192


def is_secret(path: str) -> bool:
    """Whether the file name looks like one that holds credentials, in any letter case, or the
    file is inside a credential folder (``~/.ssh``...)."""
    if _SECRET_NAME.match(os.path.basename(path).lower()):
        return True
    return any(part.lower() in SECRET_DIRS for part in path.split(os.sep)[:-1])


def is_binary(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return b"\0" in f.read(_SNIFF_BYTES)
    except OSError:
        return True


class FileRules:
    """The deny rules for one workspace: built-in ones, the user's ``exclude`` globs (gitignore
    syntax, relative to a workspace folder, any letter case) and every ``.gitignore`` in the
    tree, applied to a path as named and to the file it really is. Thread-safe."""

    def __init__(self, roots: Sequence[str], exclude: Iterable[str] = (),
                 max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self.roots = [os.path.abspath(root) for root in roots]
        self.real_roots = [os.path.realpath(root) for root in self.roots]
        self.exclude = exclude_spec(tuple(exclude))
        self.max_file_bytes = max_file_bytes
        self._gitignores: dict[str, pathspec.GitIgnoreSpec | None] = {}
        self._ignored_dirs: dict[str, bool] = {}  # folder -> git ignores it (or a parent)
        self._lock = threading.Lock()

    def set_exclude(self, exclude: Iterable[str]) -> None:
        """New ``exclude`` globs; what was decided under the old ones is the caller's to
        recheck."""
        self.exclude = exclude_spec(tuple(exclude))

    def root_of(self, path: str) -> str | None:
        return _root_among(path, self.roots)

    def relative(self, path: str) -> str:
        root = self.root_of(path)
        return os.path.relpath(path, root) if root else os.path.basename(path)

    def forget_gitignore(self, directory: str) -> None:
        with self._lock:
            self._gitignores.pop(directory, None)
            self._gitignores.pop(os.path.realpath(directory), None)
            self._ignored_dirs.clear()

    def _gitignore(self, directory: str) -> pathspec.GitIgnoreSpec | None:
        with self._lock:
            if directory in self._gitignores:
                return self._gitignores[directory]
        spec: pathspec.GitIgnoreSpec | None = None
        try:
            with open(os.path.join(directory, ".gitignore"), encoding="utf-8",
                      errors="replace") as f:
                spec = _gitignore_spec(f.read().splitlines())
        except OSError:
            spec = None
        with self._lock:
            self._gitignores[directory] = spec
        return spec

    def _ignored_by_git(self, root: str, parts: Sequence[str], is_dir: bool) -> bool:
        """As git decides: a folder it ignores hides everything inside (no rule can bring a
        file back from there); otherwise the deepest ``.gitignore`` with a rule matching the
        path decides, and within one file the last matching rule (``!`` re-includes)."""
        folders = [root]
        for part in parts[:-1]:
            folders.append(os.path.join(folders[-1], part))
        for depth in range(1, len(parts)):
            if self._folder_ignored(folders, parts, depth):
                return True
        return self._git_verdict(folders, parts, len(parts), is_dir)

    def _folder_ignored(self, folders: list[str], parts: Sequence[str], depth: int) -> bool:
        """Whether git ignores the folder ``parts[:depth]`` itself (its parents are checked by
        the caller first); remembered until a .gitignore changes."""
        folder = folders[depth]
        with self._lock:
            known = self._ignored_dirs.get(folder)
        if known is None:
            known = self._git_verdict(folders, parts, depth, is_dir=True)
            with self._lock:
                self._ignored_dirs[folder] = known
        return known

    def _git_verdict(self, folders: list[str], parts: Sequence[str], depth: int,
                     is_dir: bool) -> bool:
        """The deepest .gitignore (at or above ``parts[:depth]``) with a matching rule."""
        for level in reversed(range(depth)):
            spec = self._gitignore(folders[level])
            if spec is None:
                continue
            rest = "/".join(parts[level:depth]) + ("/" if is_dir else "")
            verdict = spec.check_file(rest).include
            if verdict is not None:
                return verdict
        return False

    def _denied_under(self, path: str, root: str, is_dir: bool) -> bool:
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        if rel == ".":
            return False
        parts = rel.split("/")
        if any(part in SKIP_DIRS for part in parts[:-1 if not is_dir else None]):
            return True
        if not is_dir and is_secret(path):
            return True
        if self.exclude.match_file(rel.lower() + ("/" if is_dir else "")):
            return True
        return self._ignored_by_git(root, parts, is_dir)

    def denied(self, path: str, *, is_dir: bool = False, no_link: bool = False) -> bool:
        """Whether ``path`` (absolute) must be left alone: secret, excluded, ignored or in a
        skipped folder — by its own name, or by what it really is once symbolic links are
        resolved, which must also lie inside a workspace folder. Size and content are checked
        separately (``readable``). ``no_link``: the caller knows no link is on the way."""
        path = os.path.abspath(path)
        root = self.root_of(path)
        if root is None or self._denied_under(path, root, is_dir):
            return True
        if no_link:
            return False
        real = os.path.realpath(path)
        real_root = _root_among(real, self.real_roots)
        if real_root is None:
            return True  # a link out of the workspace (or a workspace folder's own link)
        if real == os.path.join(real_root, os.path.relpath(path, root)):
            return False  # no link on the way: the same rules on the same names
        return self._denied_under(real, real_root, is_dir)

    def readable(self, path: str) -> bool:
        """A source file hearth has a grammar for, small enough and not binary."""
        if not language_for_path(path):
            return False
        try:
            size = os.path.getsize(path)
        except OSError:
            return False
        return size <= self.max_file_bytes and not is_binary(path)

    def walk(self) -> Iterator[str]:
        """Every indexable file under the roots (absolute paths), folders pruned early. The
        walk does not enter linked folders; a linked file is judged by what it points to."""
        for root, real_root in zip(self.roots, self.real_roots, strict=True):
            plain_root = root == real_root
            for directory, dirs, files in os.walk(root):
                if os.path.isfile(os.path.join(directory, "pyvenv.cfg")):
                    dirs[:] = []  # a virtual environment with an unusual name
                    continue
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not self.denied(
                    os.path.join(directory, d), is_dir=True))
                for name in sorted(files):
                    path = os.path.join(directory, name)
                    if language_for_path(name) and not self.denied(
                            path, no_link=plain_root and not os.path.islink(path)) \
                            and self.readable(path):
                        yield path


def excluded(path: str, exclude: Sequence[str] = ()) -> bool:
    """For a path outside any index (the CLI, a document with no workspace): secret by name, or
    matching one of the user's ``exclude`` globs (any letter case)."""
    if is_secret(path):
        return True
    return bool(exclude) and exclude_spec(tuple(exclude)).match_file(
        path.replace(os.sep, "/").lstrip("/").lower())


def private_document(path: str, roots: Sequence[str], exclude: Sequence[str] = ()) -> bool:
    """An open document that must never reach the model: its path, or the file it really is
    when the path goes through a symbolic link, is a secret or matches ``exclude`` (relative to
    the workspace folder holding it)."""
    named, real = os.path.abspath(path), os.path.realpath(path)
    folders = [os.path.abspath(root) for root in roots]
    for candidate, among in ((named, folders), (real, [os.path.realpath(f) for f in folders])):
        if is_secret(candidate) or excluded(relative_to_folder(candidate, among), exclude):
            return True
    return False


def relative_to_folder(path: str, roots: Sequence[str]) -> str:
    """``path`` relative to the workspace folder holding it, or its name outside them all."""
    path = os.path.abspath(path)
    root = _root_among(path, [os.path.abspath(r) for r in roots])
    return os.path.relpath(path, root) if root else os.path.basename(path)


@lru_cache(maxsize=8)
def exclude_spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    """The user's globs, matched against lower-cased paths."""
    return pathspec.GitIgnoreSpec.from_lines([pattern.lower() for pattern in patterns])


def _gitignore_spec(lines: list[str]) -> pathspec.GitIgnoreSpec:
    """A ``.gitignore``'s rules; a line git cannot read either (a lone ``!``) is skipped, as git
    skips it, instead of losing the whole file."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        valid = []
        for line in lines:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except ValueError:
                continue
            valid.append(line)
        return pathspec.GitIgnoreSpec.from_lines(valid)


def _root_among(path: str, roots: Sequence[str]) -> str | None:
    for root in roots:
        if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
            return root
    return None
