"""tree-sitter grammars (the official wheels, bundled: nothing is downloaded) and the few
questions hearth asks of a syntax tree.

Offsets here are str indices, like everywhere else in hearth; tree-sitter works in UTF-8 bytes,
so conversions happen at this boundary.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from tree_sitter import Language, Node, Parser, Tree

log = logging.getLogger(__name__)

# LSP language id → (grammar module, function returning the language pointer).
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "javascriptreact": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "typescriptreact": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "php": ("tree_sitter_php", "language_php"),
    "shellscript": ("tree_sitter_bash", "language"),
    "bash": ("tree_sitter_bash", "language"),
    "sh": ("tree_sitter_bash", "language"),
}

# File extension → LSP language id, for files read from disk (the index, the CLI).
EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".jsx": "javascriptreact", ".ts": "typescript", ".mts": "typescript",
    ".tsx": "typescriptreact", ".go": "go", ".rs": "rust", ".java": "java", ".c": "c",
    ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp",
    ".cs": "csharp", ".rb": "ruby", ".php": "php", ".sh": "shellscript", ".bash": "shellscript",
}

# Node types that are definitions (functions, methods, classes) per grammar family.
_FUNCTIONS = {
    "function_definition", "function_declaration", "method_definition", "method_declaration",
    "function_item", "arrow_function", "function_expression", "generator_function_declaration",
    "constructor_declaration", "func_literal", "method", "singleton_method", "local_function",
    "lambda_expression", "closure_expression",
}
_CLASSES = {
    "class_definition", "class_declaration", "class_specifier", "struct_specifier",
    "interface_declaration", "impl_item", "trait_item", "struct_item", "enum_item", "class",
    "module", "namespace_definition", "type_declaration", "enum_declaration",
    "record_declaration",
}


def language_for_path(path: str) -> str:
    dot = path.rfind(".")
    return EXTENSIONS.get(path[dot:].lower(), "") if dot >= 0 else ""


@cache
def language(language_id: str) -> Language | None:
    """The grammar for an LSP language id, or None when hearth has none for it."""
    entry = _GRAMMARS.get(language_id)
    if entry is None:
        return None
    module_name, function = entry
    try:
        module = importlib.import_module(module_name)
        pointer: Callable[[], Any] = getattr(module, function)
        return Language(pointer())
    except (ImportError, AttributeError, ValueError) as exc:
        log.warning("tree-sitter grammar %s unavailable: %s", module_name, exc)
        return None


def parser(language_id: str) -> Parser | None:
    lang = language(language_id)
    return Parser(lang) if lang is not None else None


def parse(text: str, language_id: str) -> Tree | None:
    p = parser(language_id)
    return p.parse(text.encode("utf-8", "surrogatepass")) if p is not None else None


def byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def char_offset(data: bytes, offset: int) -> int:
    return len(data[:offset].decode("utf-8", "replace"))


def is_definition(node: Node) -> bool:
    return node.type in _FUNCTIONS or node.type in _CLASSES


def is_function(node: Node) -> bool:
    return node.type in _FUNCTIONS


def enclosing(tree: Tree, byte: int) -> list[Node]:
    """Definitions containing ``byte``, outermost first."""
    chain: list[Node] = []
    node: Node | None = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None:
        if is_definition(node):
            chain.append(node)
        node = node.parent
    chain.reverse()
    return chain


@dataclass(frozen=True)
class Span:
    """A region of a document in str offsets."""

    start: int
    end: int


def enclosing_function(text: str, language_id: str, index: int) -> Span | None:
    """The innermost function or method around ``index``, or None."""
    tree = parse(text, language_id)
    if tree is None:
        return None
    data = text.encode("utf-8", "surrogatepass")
    for node in reversed(enclosing(tree, byte_offset(text, index))):
        if is_function(node):
            return Span(char_offset(data, node.start_byte), char_offset(data, node.end_byte))
    return None


def error_nodes(tree: Tree) -> Iterator[Node]:
    """ERROR and MISSING nodes, without descending into an ERROR's children."""
    if not tree.root_node.has_error:
        return
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            yield node
            continue
        if node.has_error:
            stack.extend(reversed(node.children))


def count_errors(text: str, language_id: str) -> int | None:
    """Number of syntax errors, or None when the language has no grammar here."""
    tree = parse(text, language_id)
    return None if tree is None else sum(1 for _ in error_nodes(tree))
