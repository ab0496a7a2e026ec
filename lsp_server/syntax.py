"""tree-sitter grammars (the official wheels, bundled: nothing is downloaded) and the few
questions hearth asks of a syntax tree.

Offsets here are str indices, like everywhere else in hearth; tree-sitter works in UTF-8 bytes,
so conversions happen at this boundary.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from tree_sitter import Language, Node, Parser, Tree

from . import languages
from .documents import Document, DocumentStore, Edit, make_edit

log = logging.getLogger(__name__)

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
    p = thread_parser(language_id)
    return p.parse(text.encode("utf-8", "surrogatepass")) if p is not None else None


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


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# -- parsed snapshots ------------------------------------------------------------------------
class Parsed:
    """One version of a text with its syntax tree. Never mutated after creation (edits go to a
    copy of the tree), so a snapshot taken on the event loop can be read on the worker."""

    def __init__(self, text: str, language_id: str, tree: Tree, data: bytes) -> None:
        self.text = text
        self.language_id = language_id
        self.tree = tree
        self.data = data

    @classmethod
    def parse(cls, text: str, language_id: str) -> Parsed | None:
        p = thread_parser(language_id)
        if p is None:
            return None
        data = _encode(text)
        return cls(text, language_id, p.parse(data), data)

    def edited(self, text: str, edits: Sequence[Edit]) -> Parsed:
        """The snapshot for ``text``, reached from this one by ``edits``: tree-sitter re-parses
        only the regions the edits touched."""
        p = thread_parser(self.language_id)
        assert p is not None  # this snapshot was parsed with it
        old = self.tree.copy()
        for e in edits:
            old.edit(start_byte=e.start_byte, old_end_byte=e.old_end_byte,
                     new_end_byte=e.new_end_byte, start_point=e.start_point,
                     old_end_point=e.old_end_point, new_end_point=e.new_end_point)
        data = _encode(text)
        return Parsed(text, self.language_id, p.parse(data, old), data)

    def byte(self, index: int) -> int:
        if len(self.data) == len(self.text):
            return index
        return byte_offset(self.text, index)

    def char(self, byte: int) -> int:
        if len(self.data) == len(self.text):
            return byte  # ASCII: bytes and characters coincide
        return char_offset(self.data, byte)

    @cached_property
    def error_count(self) -> int:
        return sum(1 for _ in error_nodes(self.tree))

    def errors_after_insert(self, offset: int, inserted: str) -> int:
        """Syntax errors in the text with ``inserted`` at ``offset`` (parsed incrementally)."""
        new_text = self.text[:offset] + inserted + self.text[offset:]
        edit = make_edit(self.text, offset, offset, inserted)
        return self.edited(new_text, [edit]).error_count

    @cached_property
    def imports(self) -> tuple[Import, ...]:
        return tuple(_imports(self))

    @cached_property
    def symbols(self) -> tuple[Symbol, ...]:
        return tuple(_symbols(self))

    def scope_headers(self, index: int) -> list[Header]:
        """Headers (first lines up to the body) of the definitions around ``index``, outermost
        first."""
        if self.language_id == "python":
            return self._indented_scope(index)
        byte = self.byte(index)
        if byte >= len(self.data):
            byte = max(0, len(self.data) - 1)  # at the very end: what the last character is in
        return [_header(self, node) for node in enclosing(self.tree, byte)]

    def _indented_scope(self, index: int) -> list[Header]:
        """Where blocks are made by indentation, the enclosing definitions are the nearest
        ``def``/``class`` lines above that are indented less, which holds even while the code
        being typed does not parse."""
        text = self.text
        line_start = text.rfind("\n", 0, index) + 1
        line_end = text.find("\n", index)
        line = text[line_start:line_end if line_end >= 0 else len(text)]
        before = text[line_start:index]
        if before.strip():
            limit = _width(line)
        else:
            limit = len(before.expandtabs(4))
            if limit == 0:  # an empty line: it belongs to the block above, if one is open
                above = text[:line_start].rstrip().rsplit("\n", 1)[-1]
                limit = _width(above) + (1 if above.rstrip().endswith(":") else 0)
        found: list[Header] = []
        end = line_start
        while end > 0 and limit > 0:
            start = text.rfind("\n", 0, end - 1) + 1
            candidate = text[start:end]
            end = start
            if not candidate.strip() or _width(candidate) >= limit:
                continue
            limit = _width(candidate)
            stripped = candidate.lstrip()
            if stripped.startswith(("def ", "class ", "async def ")):
                node = self._definition_at(start + len(candidate) - len(stripped))
                # Code that does not parse yet may have no node for it: the line will do.
                found.append(_header(self, node) if node is not None
                             else Header(candidate.rstrip(), start, start + len(candidate)))
        found.reverse()
        return found

    def _definition_at(self, index: int) -> Node | None:
        byte = self.byte(index)
        node: Node | None = self.tree.root_node.descendant_for_byte_range(byte, byte)
        while node is not None and not (is_definition(node) and node.start_byte == byte):
            node = node.parent
        return node


class DocumentTrees:
    """The syntax tree of every open document, kept current edit by edit (event loop only)."""

    def __init__(self, max_chars: int = 2_000_000) -> None:
        self._trees: dict[str, Parsed] = {}
        self.max_chars = max_chars  # beyond this a document gets no tree (minified bundles)
        self.incremental_updates = 0

    def attach(self, store: DocumentStore) -> None:
        store.on_change(self._on_change)
        store.on_close(self.forget)

    def _on_change(self, doc: Document, edits: Sequence[Edit]) -> None:
        self.update(doc, edits)

    def update(self, doc: Document, edits: Sequence[Edit]) -> Parsed | None:
        old = self._trees.get(doc.uri)
        if len(doc.text) > self.max_chars:
            self._trees.pop(doc.uri, None)
            return None
        if old is not None and edits and old.language_id == doc.language_id:
            new = old.edited(doc.text, edits)
            self.incremental_updates += 1
        else:
            parsed = Parsed.parse(doc.text, doc.language_id)
            if parsed is None:
                self._trees.pop(doc.uri, None)
                return None
            new = parsed
        self._trees[doc.uri] = new
        return new

    def forget(self, uri: str) -> None:
        self._trees.pop(uri, None)

    def get(self, uri: str) -> Parsed | None:
        return self._trees.get(uri)


# -- outline: imports, symbols, headers -------------------------------------------------------
@dataclass(frozen=True)
class Import:
    text: str  # the statement as written
    start: int  # str offsets in the file
    end: int
    module: str  # what it imports from: "a.b", "./util", "fmt" ("" when unknown)
    names: tuple[tuple[str, str], ...]  # (name as bound in this file, name in the module)


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str  # "function", "class" (classes, structs, interfaces, impls...)
    signature: str  # the definition's header, whitespace-normalised, without its body
    doc: str  # the first line of its docstring or leading comment
    line: int  # 0-based
    container: str = ""  # the enclosing class, for methods


@dataclass(frozen=True)
class Header:
    text: str  # the header's lines as written (indentation kept), without the body
    start: int  # str offsets of the definition
    end: int


_IMPORT_TYPES = {
    "import_statement", "import_from_statement", "future_import_statement",  # python, js, ts
    "import_declaration",  # go, java
    "use_declaration", "extern_crate_declaration",  # rust
    "preproc_include",  # c, c++
    "using_directive",  # c#
    "namespace_use_declaration",  # php
}
_REQUIRE_CALLS = {"require", "require_relative", "source", "."}  # ruby, bash
_COMMENT_TYPES = {"comment", "line_comment", "block_comment"}
_SIGNATURE_CHARS = 240
_WS = re.compile(r"\s+")
_STRING_QUOTES = re.compile(r"^[rRbBuUfF]*(\"\"\"|'''|\"|')|(\"\"\"|'''|\"|')$")


def _node_text(parsed: Parsed, node: Node) -> str:
    return parsed.data[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _imports(parsed: Parsed) -> Iterator[Import]:
    root = parsed.tree.root_node
    for node in root.named_children:
        if node.type in _IMPORT_TYPES or _is_require(node):
            yield Import(_node_text(parsed, node).rstrip(), parsed.char(node.start_byte),
                         parsed.char(node.end_byte), *_import_target(parsed, node))


def _is_require(node: Node) -> bool:
    if node.type == "call":
        method = node.child_by_field_name("method")
        return method is not None and method.text in (b"require", b"require_relative")
    if node.type == "command":
        name = node.child_by_field_name("name")
        return name is not None and name.text in (b"source", b".")
    if node.type == "expression_statement" and node.named_child_count == 1:
        return node.named_children[0].type in ("require_expression", "require_once_expression")
    return False


def _import_target(parsed: Parsed, node: Node) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Module and bound names, for the languages whose imports the index can resolve."""
    names: list[tuple[str, str]] = []
    if node.type == "import_from_statement":
        module = node.child_by_field_name("module_name")
        for child in node.children_by_field_name("name"):
            names.append(_python_binding(parsed, child, from_import=True))
        return (_node_text(parsed, module) if module is not None else ""), tuple(names)
    if node.type == "import_statement" and parsed.language_id == "python":
        for child in node.children_by_field_name("name"):
            names.append(_python_binding(parsed, child, from_import=False))
        return "", tuple(names)
    if node.type == "import_statement":  # javascript / typescript
        source = node.child_by_field_name("source")
        path = _node_text(parsed, source).strip("'\"`") if source is not None else ""
        for spec in _descendants(node, {"import_specifier", "namespace_import", "identifier"}):
            if spec.type == "import_specifier":
                name = spec.child_by_field_name("name")
                alias = spec.child_by_field_name("alias")
                if name is not None:
                    bound = alias if alias is not None else name
                    names.append((_node_text(parsed, bound), _node_text(parsed, name)))
            elif spec.parent is not None and spec.parent.type in ("import_clause",
                                                                   "namespace_import"):
                names.append((_node_text(parsed, spec), "*"))
        return path, tuple(names)
    return "", ()


def _python_binding(parsed: Parsed, node: Node, *, from_import: bool) -> tuple[str, str]:
    if node.type == "aliased_import":
        name = node.child_by_field_name("name")
        alias = node.child_by_field_name("alias")
        real = _node_text(parsed, name) if name is not None else ""
        return (_node_text(parsed, alias) if alias is not None else real), real
    real = _node_text(parsed, node)
    # `import a.b` binds `a`; `from m import a` binds `a`.
    return (real if from_import else real.split(".")[0]), real


def _descendants(node: Node, types: set[str]) -> Iterator[Node]:
    stack = list(reversed(node.named_children))
    while stack:
        child = stack.pop()
        if child.type in types:
            yield child
        if child.type != "import_specifier":
            stack.extend(reversed(child.named_children))


def _definition_name(node: Node) -> Node | None:
    name = node.child_by_field_name("name")
    if name is not None:
        return name
    declarator = node.child_by_field_name("declarator")  # C and C++ functions
    while declarator is not None:
        inner = declarator.child_by_field_name("declarator")
        if inner is None:
            return declarator if declarator.type.endswith("identifier") else None
        declarator = inner
    if node.type in ("arrow_function", "function_expression") and node.parent is not None:
        return node.parent.child_by_field_name("name")  # const f = (...) => ...
    if node.type == "impl_item":
        return node.child_by_field_name("type")
    if node.type == "type_declaration":
        spec = next((c for c in node.named_children if c.type == "type_spec"), None)
        return spec.child_by_field_name("name") if spec is not None else None
    return None


def _header_end(node: Node) -> int:
    """Where the definition's body (or a comment inside its header) begins."""
    end = node.end_byte
    body = node.child_by_field_name("body")
    if body is not None:
        end = body.start_byte
    for child in node.children:
        if child.start_byte >= end:
            break
        if child.type in _COMMENT_TYPES:
            return child.start_byte
    return end


def _header(parsed: Parsed, node: Node) -> Header:
    """The header as it would stand on its own line: the line's indentation, then the text
    from the definition's start to its body."""
    start = node.start_byte
    if node.type in ("arrow_function", "function_expression") and node.parent is not None \
            and node.parent.type == "variable_declarator" and node.parent.parent is not None:
        start = node.parent.parent.start_byte  # `const f = (a) => ...` from `const`
    line_start = parsed.data.rfind(b"\n", 0, start) + 1
    line = parsed.data[line_start:start]
    indent = line[: len(line) - len(line.lstrip(b" \t"))]
    text = (indent + parsed.data[start:_header_end(node)]).decode("utf-8", "replace").rstrip()
    lines = text.split("\n")
    if len(lines) > 4:  # a long parameter list: its first lines say enough
        text = "\n".join(lines[:4])
    return Header(text, parsed.char(start), parsed.char(node.end_byte))


def _doc(parsed: Parsed, node: Node) -> str:
    if parsed.language_id == "python":
        body = node.child_by_field_name("body")
        first = body.named_children[0] if body is not None and body.named_children else None
        if first is not None and first.type == "expression_statement" and first.named_children \
                and first.named_children[0].type == "string":
            return _first_line(_STRING_QUOTES.sub("", _node_text(parsed, first.named_children[0])))
        return ""
    anchor = node
    if node.parent is not None and node.parent.type in ("export_statement", "decorated_definition"):
        anchor = node.parent
    comment = anchor.prev_named_sibling
    if comment is None or comment.type not in _COMMENT_TYPES or \
            comment.end_point[0] < anchor.start_point[0] - 1:
        return ""
    # A block of line comments: its first line is the summary.
    while (above := comment.prev_named_sibling) is not None and above.type in _COMMENT_TYPES \
            and above.end_point[0] >= comment.start_point[0] - 1:
        comment = above
    return _first_line(_node_text(parsed, comment).strip("/*!# \t\n"))


def _width(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("*/#! ").strip()
        if line:
            return line[:160]
    return ""


def _symbols(parsed: Parsed) -> list[Symbol]:
    """Top-level functions and classes, and the methods of classes (not nested functions),
    in the order of the file."""
    return sorted(_walk_symbols(parsed), key=lambda symbol: symbol.line)


def _walk_symbols(parsed: Parsed) -> Iterator[Symbol]:
    stack: list[tuple[Node, str]] = [(parsed.tree.root_node, "")]
    while stack:
        node, container = stack.pop()
        for child in reversed(node.named_children):
            if is_definition(child):
                name_node = _definition_name(child)
                if name_node is not None:
                    name = _node_text(parsed, name_node)
                    header = _header(parsed, child)
                    signature = _WS.sub(" ", header.text.strip())[:_SIGNATURE_CHARS]
                    kind = "function" if is_function(child) else "class"
                    yield Symbol(name, kind, signature, _doc(parsed, child),
                                 child.start_point[0], container)
                    if kind == "class":
                        body = child.child_by_field_name("body")
                        stack.append((body if body is not None else child, name))
            elif child.type in _CONTAINERS:
                stack.append((child, container))


# Nodes that hold definitions without being one (exports, decorators, declaration lists...).
_CONTAINERS = {
    "export_statement", "decorated_definition", "declaration_list", "class_body", "block",
    "field_declaration_list", "body_statement", "lexical_declaration", "variable_declarator",
    "template_declaration", "preproc_ifdef", "preproc_if", "linkage_specification",
    "namespace_declaration", "file_scoped_namespace_declaration",
}
