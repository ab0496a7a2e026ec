"""How the code facts (code_facts.py) read a syntax tree: the node types of Python and the C
family (JavaScript, TypeScript, Java, C, Go...) that the rules know, a node quoted as a short
snippet, and where a node stands: the nodes a range holds, the branch condition it is under, the
handler it is in, whether it is in a loop, whether it is a call made for its effect."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

MAX_SNIPPET = 60  # characters of code quoted in a fact

FUNCTION_TYPES = {"function_definition", "function_declaration", "method_definition",
                  "method_declaration", "arrow_function", "function_expression",
                  "function_item", "generator_function_declaration"}
IFS = {"if_statement"}
ELSE_IFS = {"elif_clause"}
ELSES = {"else_clause"}
LOOPS = {"for_statement", "for_in_statement", "while_statement", "do_statement",
         "enhanced_for_statement", "for_range_loop"}
RETURNS = {"return_statement"}
RAISES = {"raise_statement", "throw_statement"}
HANDLERS = {"except_clause", "catch_clause"}
AUGMENTED = {"augmented_assignment", "augmented_assignment_expression"}
ASSIGNMENTS = {"assignment", "assignment_expression"}
CALLS = {"call", "call_expression"}
BINARY = {"binary_operator", "binary_expression"}
COMPARISON = {"comparison_operator", "binary_expression"}
LITERAL_TYPES = {"integer", "float", "number", "string", "true", "false", "none", "null",
                 "list", "array", "dictionary", "object"}


class Reader:
    """Code quoted from the parsed text."""

    def __init__(self, text: str, data: bytes) -> None:
        self.text, self.data = text, data

    def of(self, node: Node | None, limit: int = MAX_SNIPPET) -> str:
        if node is None:
            return ""
        snippet = " ".join(self.data[node.start_byte:node.end_byte]
                           .decode("utf-8", "replace").split())
        if node.type == "parenthesized_expression" and snippet.startswith("(") \
                and snippet.endswith(")"):
            snippet = snippet[1:-1].strip()
        return snippet if len(snippet) <= limit else snippet[:limit - 1].rstrip() + "…"


def top_nodes(root: Node, b_start: int, b_end: int) -> list[Node]:
    """The top nodes inside the range (one function, usually)."""
    found: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.end_byte <= b_start or node.start_byte >= b_end:
            continue
        if node.start_byte >= b_start and node.end_byte <= b_end and node.is_named:
            found.append(node)
            continue
        stack.extend(reversed(node.children))
    return found


def named(node: Node | None, index: int) -> Node | None:
    """The node's ``index``-th named child, or None."""
    if node is None or index >= node.named_child_count:
        return None
    return node.named_child(index)


def walk(node: Node) -> Iterator[Node]:
    """Nodes in document order, not descending into nested functions (they are read as one
    statement of their own)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is node or current.type not in FUNCTION_TYPES:
            stack.extend(reversed(current.children))


def condition_of(reader: Reader, node: Node, stop_at_loop: bool = False) -> str:
    """The condition of the innermost branch ``node`` is in ("" if none): ``cond`` in the
    ``if`` branch, ``not (cond)`` in the ``else`` of a single ``if``."""
    child, parent = node, node.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if stop_at_loop and parent.type in LOOPS:
            return ""
        if parent.type in IFS | ELSE_IFS:
            condition = parent.child_by_field_name("condition")
            if condition is not None and child == parent.child_by_field_name("consequence"):
                return reader.of(condition)
        if parent.type in ELSES and parent.parent is not None:
            owner = parent.parent
            condition = owner.child_by_field_name("condition")
            clauses = [c for c in owner.children if c.type in ELSE_IFS]
            if condition is not None and not clauses:
                return f"not ({reader.of(condition)})" if " " in reader.of(condition) \
                    else f"not {reader.of(condition)}"
            return ""
        child, parent = parent, parent.parent
    return ""


def handler_of(node: Node) -> str:
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if parent.type in HANDLERS:
            caught = next((c for c in parent.named_children
                           if c.type not in ("block", "statement_block", "comment")), None)
            if caught is None:
                return "an error"
            return caught.text.decode("utf-8", "replace").split(" as ")[0] \
                if caught.text else "an error"
        parent = parent.parent
    return ""


def is_call_statement(node: Node) -> bool:
    """A call made for its effect (``items.append(x)``), not for its value."""
    parent = node.parent
    return node.type in CALLS and parent is not None \
        and parent.type == "expression_statement" and parent.named_child_count == 1


def inside_loop(node: Node) -> bool:
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if parent.type in LOOPS:
            return True
        parent = parent.parent
    return False
