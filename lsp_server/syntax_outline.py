"""A file's outline, read from a parsed snapshot (syntax_trees.py): its imports (with the
module and the names they bind, where the index can resolve them), its symbols (functions,
classes and their methods, with signature and summary) and the header of a definition."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tree_sitter import Node

from .syntax import is_definition, is_function

if TYPE_CHECKING:
    from .syntax_trees import Parsed


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


def imports_of(parsed: Parsed) -> Iterator[Import]:
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


def header_of(parsed: Parsed, node: Node) -> Header:
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


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("*/#! ").strip()
        if line:
            return line[:160]
    return ""


def symbols_of(parsed: Parsed) -> list[Symbol]:
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
                    header = header_of(parsed, child)
                    signature = _WS.sub(" ", header.text.strip())[:_SIGNATURE_CHARS]
                    kind = "function" if is_function(child) else "class"
                    yield Symbol(name, kind, signature, _doc(parsed, child),
                                 parsed.origin_line + child.start_point[0], container)
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
