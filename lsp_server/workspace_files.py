"""Which workspace files hearth may read: never secrets, never what git ignores, never vendored,
generated, binary or huge files.

The same rules decide what the index parses, what the watcher reports and which open documents
may lend text to another file's prompt.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import PurePosixPath

import pathspec

from .languages import language_for_path

# Files that hold credentials. They are never indexed, never quoted in a prompt, and get no
# suggestions (a remote inference server would see them).
SECRET_PATTERNS: tuple[str, ...] = (
    ".env", ".env.*", "*.env", ".envrc", "*.pem", "*.key", "*.crt", "*.p12", "*.pfx", "*.jks",
    "*.keystore", "*.kdbx", "*.gpg", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    ".netrc", ".npmrc", ".pypirc", ".git-credentials", ".htpasswd", "credentials",
    "credentials.*", "secrets.*", "*.secret", "*.secrets", "*.tfstate", "*.tfstate.*",
    "*.tfvars", "service-account*.json",
)
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
    """Whether the file name looks like one that holds credentials."""
    name = os.path.basename(path)
    return any(fnmatch(name, pattern) for pattern in SECRET_PATTERNS)


def is_binary(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return b"\0" in f.read(_SNIFF_BYTES)
    except OSError:
        return True


class FileRules:
    """The deny rules for one workspace: built-in ones, the user's ``exclude`` globs (gitignore
    syntax, relative to a workspace folder) and every ``.gitignore`` in the tree. Thread-safe."""

    def __init__(self, roots: Sequence[str], exclude: Iterable[str] = (),
                 max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self.roots = [os.path.abspath(root) for root in roots]
        self.exclude = pathspec.GitIgnoreSpec.from_lines(list(exclude))
        self.max_file_bytes = max_file_bytes
        self._gitignores: dict[str, pathspec.GitIgnoreSpec | None] = {}
        self._lock = threading.Lock()

    def root_of(self, path: str) -> str | None:
        for root in self.roots:
            if path == root or path.startswith(root + os.sep):
                return root
        return None

    def relative(self, path: str) -> str:
        root = self.root_of(path)
        return os.path.relpath(path, root) if root else os.path.basename(path)

    def forget_gitignore(self, directory: str) -> None:
        with self._lock:
            self._gitignores.pop(directory, None)

    def _gitignore(self, directory: str) -> pathspec.GitIgnoreSpec | None:
        with self._lock:
            if directory in self._gitignores:
                return self._gitignores[directory]
        spec: pathspec.GitIgnoreSpec | None = None
        try:
            with open(os.path.join(directory, ".gitignore"), encoding="utf-8",
                      errors="replace") as f:
                spec = pathspec.GitIgnoreSpec.from_lines(f.read().splitlines())
        except OSError:
            spec = None
        with self._lock:
            self._gitignores[directory] = spec
        return spec

    def _ignored_by_git(self, path: str, root: str, is_dir: bool) -> bool:
        """Checks the .gitignore of every folder from the root down to the path's own."""
        directory = root
        parts = PurePosixPath(os.path.relpath(path, root).replace(os.sep, "/")).parts
        for depth in range(len(parts)):
            spec = self._gitignore(directory)
            if spec is not None:
                rest = "/".join(parts[depth:]) + ("/" if is_dir else "")
                if spec.match_file(rest):
                    return True
            directory = os.path.join(directory, parts[depth])
        return False

    def denied(self, path: str, *, is_dir: bool = False) -> bool:
        """Whether ``path`` (absolute) must be left alone: secret, excluded, ignored or in a
        skipped folder. Size and content are checked separately (``readable``)."""
        root = self.root_of(path)
        if root is None:
            return True
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        if rel == ".":
            return False
        parts = rel.split("/")
        if any(part in SKIP_DIRS for part in parts[:-1 if not is_dir else None]):
            return True
        if not is_dir and is_secret(path):
            return True
        if self.exclude.match_file(rel + ("/" if is_dir else "")):
            return True
        return self._ignored_by_git(path, root, is_dir)

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
        """Every indexable file under the roots (absolute paths), folders pruned early."""
        for root in self.roots:
            for directory, dirs, files in os.walk(root):
                if os.path.isfile(os.path.join(directory, "pyvenv.cfg")):
                    dirs[:] = []  # a virtual environment with an unusual name
                    continue
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not self.denied(
                    os.path.join(directory, d), is_dir=True))
                for name in sorted(files):
                    path = os.path.join(directory, name)
                    if language_for_path(name) and not self.denied(path) and self.readable(path):
                        yield path


def excluded(path: str, exclude: Sequence[str] = ()) -> bool:
    """For a path outside any index (the CLI, a document with no workspace): secret by name, or
    matching one of the user's ``exclude`` globs."""
    if is_secret(path):
        return True
    return bool(exclude) and _spec(tuple(exclude)).match_file(
        path.replace(os.sep, "/").lstrip("/"))


@lru_cache(maxsize=8)
def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(list(patterns))
