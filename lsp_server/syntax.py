"""tree-sitter grammars (the official wheels, bundled: nothing is downloaded) and the few
questions hearth asks of a syntax tree.

Offsets here are str indices, like everywhere else in hearth; tree-sitter works in UTF-8 bytes,
so conversions happen at this boundary. Parsed snapshots (whole documents, regions of huge ones,
the open documents' trees kept current edit by edit) are in syntax_trees.py; what they say of a
file's outline (imports, symbols, definition headers) in syntax_outline.py.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from tree_sitter import Language, Node, Parser, Tree

from . import languages

log = logging.getLogger(__name__)

# tree-sitter parses a few MB a second and holds the interpreter meanwhile (nothing else runs,
# not even the event loop). A text larger than this is never parsed whole: a document gets no
# tree, and questions about it are asked of a tree of the region around the cursor.
MAX_TREE_CHARS = 1_000_000

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


@cache
def language(language_id: str) -> Language | None:
    """The grammar for an LSP language id, or None when hearth has none for it."""
    entry = languages.get(language_id).grammar
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
    """The tree of ``text``; None without a grammar, or for a text over ``MAX_TREE_CHARS``."""
    p = thread_parser(language_id)
    if p is None or len(text) > MAX_TREE_CHARS:
        return None
    return p.parse(text.encode("utf-8", "surrogatepass"))


def byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def char_offset(data: bytes, offset: int) -> int:
    return len(data[:offset].decode("utf-8", "replace"))


def is_definition(node: Node) -> bool:
    # Named nodes only: Ruby's `class` node type is also the keyword token's type elsewhere.
    return node.is_named and (node.type in _FUNCTIONS or node.type in _CLASSES)


def is_function(node: Node) -> bool:
    return node.is_named and node.type in _FUNCTIONS


def enclosing(tree: Tree, byte: int) -> list[Node]:
    """Definitions containing ``byte``, outermost first."""
    chain: list[Node] = []
    node: Node | None = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None and node.parent is not None:  # the root (Python's "module") is none
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


# -- per-thread parsers ----------------------------------------------------------------------
# A Parser is not thread-safe; the event loop (document trees), the index thread and the model
# worker (suggestion checks) each get their own.
_local = threading.local()


def thread_parser(language_id: str) -> Parser | None:
    parsers: dict[str, Parser | None] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    if language_id not in parsers:
        parsers[language_id] = parser(language_id)
    return parsers[language_id]

