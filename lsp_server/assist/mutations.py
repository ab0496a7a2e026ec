"""Candidate repairs made from the code's structure: the one-token bugs people make.

A syntax tree of the function says where the usual slips can be: a comparison that should
include its bound (``<`` for ``<=``), an index one off (``j`` for ``j - 1``), the wrong variable
among those in scope, a missing or extra negation, the wrong arithmetic operator, arguments in
the wrong order, a call wrapped around a value that should be used as it is, a constant one off,
a missing ``return``. Each mutation here is one such change, made by rule and never by the
model, so it is always small and well formed; the model only says how likely the code is with
it (fix_search.py). The rules are grammar-independent where they can be (operators are leaf
tokens whose type is their text in every tree-sitter grammar); the ones about bindings, calls
and conditions know the node names of Python and the C family (JavaScript, TypeScript, Go,
Java, C, Rust...); what a scope binds and uses is read in scope_names.py.

Offsets are str indices in the text given.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from tree_sitter import Node

from .. import syntax
from .scope_names import (
    ATTRIBUTES,
    CALLS,
    IDENTIFIERS,
    ScopeNames,
    Source,
    binder_of,
    is_attribute,
    is_callee,
    is_declaration,
    scope_names,
    walk,
)

MutationKind = Literal["operator", "off-by-one", "name", "partner", "negation", "swap",
                       "drop", "unwrap", "extend", "return", "constant"]

# Operators a slip turns into one another (each maps to its likely confusions).
_OPERATORS: dict[str, tuple[str, ...]] = {
    "<": ("<=", ">"), "<=": ("<", ">="), ">": (">=", "<"), ">=": (">", "<="),
    "==": ("!=",), "!=": ("==",), "===": ("!==",), "!==": ("===",),
    "is": ("is not",), "is not": ("is",), "in": ("not in",), "not in": ("in",),
    "+": ("-",), "-": ("+",), "*": ("/", "+"), "/": ("*", "//"), "//": ("/", "%"),
    "%": ("//",), "^": ("&", "|"), "&": ("|", "^"), "|": ("&", "^"),
    "<<": (">>",), ">>": ("<<",), "and": ("or",), "or": ("and",), "&&": ("||",),
    "||": ("&&",),
    "+=": ("-=",), "-=": ("+=",), "*=": ("/=",), "/=": ("*=",), "^=": ("&=", "|="),
    "&=": ("|=", "^="), "|=": ("&=", "^="), "++": ("--",), "--": ("++",),
}
# Nodes whose operator token may change (not ``in`` of a loop or ``*`` of ``*args``).
_OPERATIONS = {"comparison_operator", "binary_operator", "boolean_operator",
               "augmented_assignment", "binary_expression", "augmented_assignment_expression",
               "update_expression", "not_operator", "unary_operator", "unary_expression"}
_PYTHON_ONLY = {"//", "is", "is not", "in", "not in", "and", "or"}
# Names (and literals) that are each other's slips.
_PARTNERS: dict[str, tuple[str, ...]] = {
    "any": ("all",), "all": ("any",), "min": ("max",), "max": ("min",),
    "True": ("False",), "False": ("True",), "true": ("false",), "false": ("true",),
    "break": ("continue",), "continue": ("break",),
}
_INTEGERS = {"integer", "number", "integer_literal", "int_literal", "decimal_integer_literal"}
_ARGUMENTS = {"argument_list", "arguments"}
_SUBSCRIPTS = {"subscript", "subscript_expression", "index_expression", "element_reference"}
_BINARY = {"binary_operator", "binary_expression"}
_NEGATIONS = {"not_operator", "unary_expression", "unary_operator", "prefix_unary_expression"}
_CONDITIONAL = {"if_statement", "while_statement", "elif_clause", "do_statement"}
_LITERALS = {"string", "template_string", "list", "dictionary", "set", "lambda",
             "list_comprehension", "set_comprehension", "dictionary_comprehension",
             "generator_expression", "true", "false", "none", "null", "undefined",
             "string_literal", "raw_string_literal", "arrow_function", "function_expression",
             "object", "array", "keyword_argument", "list_splat", "dictionary_splat",
             "pair", "comment"}
_COMPARISONS = {"<", "<=", ">", ">=", "==", "!=", "===", "!=="}
_NONCOMMUTATIVE = {"-", "/", "//", "%", "+", "<<", ">>"}  # ``+`` joins strings and lists


@dataclass(frozen=True)
class Mutation:
    start: int  # str offsets in the text the mutations were made for
    end: int
    text: str  # what replaces text[start:end]
    kind: MutationKind

    def apply(self, text: str) -> str:
        return text[:self.start] + self.text + text[self.end:]


def mutations(text: str, language_id: str, start: int, end: int,
              lines: set[int] | None = None) -> list[Mutation]:
    """Every mutation of the code in ``text[start:end]`` (a function, usually), on the lines
    (0-based, of ``text``) in ``lines`` if given. Duplicates (the same change reached by two
    rules) are listed once; none is checked for syntax here."""
    tree = syntax.parse(text, language_id)
    if tree is None:
        return []
    data = text.encode("utf-8", "surrogatepass")
    source = Source(text, data)
    b_start, b_end = syntax.byte_offset(text, start), syntax.byte_offset(text, end)
    scope = _scope_node(tree.root_node, b_start, b_end)
    python = language_id == "python"
    names = scope_names(source, tree.root_node, scope, python)
    found: dict[tuple[int, int, str], Mutation] = {}

    def wanted(node: Node) -> bool:
        return b_start <= node.start_byte and node.end_byte <= b_end and (
            lines is None or node.start_point.row in lines)

    for node in walk(scope):
        if not wanted(node):
            continue
        for mutation in _node_mutations(source, node, python, names):
            if source.text[mutation.start:mutation.end] != mutation.text:
                found.setdefault((mutation.start, mutation.end, mutation.text), mutation)
    if python and syntax.is_function(scope):
        for mutation in _missing_returns(source, scope, names.variables):
            found.setdefault((mutation.start, mutation.end, mutation.text), mutation)
    return sorted(found.values(), key=lambda m: (m.start, m.end, m.text))


def _scope_node(root: Node, b_start: int, b_end: int) -> Node:
    """The function (or the smallest node) covering the range."""
    node = root.descendant_for_byte_range(b_start, max(b_start, b_end - 1)) or root
    chain: Node | None = node
    while chain is not None:
        if syntax.is_function(chain):
            return chain
        chain = chain.parent
    while node.parent is not None and not (node.start_byte <= b_start and node.end_byte >= b_end):
        node = node.parent
    return node


def _node_mutations(source: Source, node: Node, python: bool, names: ScopeNames
                    ) -> Iterator[Mutation]:
    kind = node.type
    start, end = source.span(node)
    if not node.is_named:
        operator_of = node.parent.type if node.parent is not None else ""
        for other in _OPERATORS.get(kind, ()) if operator_of in _OPERATIONS else ():
            if python or (kind not in _PYTHON_ONLY and other not in _PYTHON_ONLY):
                yield Mutation(start, end, other, "operator")
        for other in _PARTNERS.get(kind, ()):
            yield Mutation(start, end, other, "partner")
        return
    text = source.of(node)
    if kind in IDENTIFIERS or kind in ATTRIBUTES:
        yield from _name_mutations(source, node, text, names)
    elif kind in ("true", "false"):
        for other in _PARTNERS.get(text, ()):
            yield Mutation(start, end, other, "partner")
    elif kind in _INTEGERS and text.isdigit():
        value = int(text)
        for number in (value + 1, value - 1):
            if number >= 0:
                yield Mutation(start, end, str(number), "constant")
    if _is_operand(node):
        yield Mutation(end, end, " + 1", "off-by-one")
        yield Mutation(end, end, " - 1", "off-by-one")
    if kind in _BINARY:
        yield from _binary_mutations(source, node)
    elif kind in _NEGATIONS:
        operator, operand = node.child(0), node.child_by_field_name("argument") or \
            node.named_child(node.named_child_count - 1)
        if operator is not None and source.of(operator) in ("not", "!") and operand is not None:
            yield Mutation(start, end, source.of(operand), "negation")
    elif kind in CALLS:
        yield from _call_mutations(source, node)
    elif kind in _SUBSCRIPTS:
        indices = [c for c in node.named_children[1:] if c.type != "comment"]
        if len(indices) == 2:
            yield from _swapped(source, indices[0], indices[1])
    if kind in _CONDITIONAL:
        condition = node.child_by_field_name("condition")
        if condition is not None and condition.type not in _NEGATIONS:
            yield from _negated(source, condition, python)


def _name_mutations(source: Source, node: Node, text: str, names: ScopeNames
                    ) -> Iterator[Mutation]:
    start, end = source.span(node)
    parent = node.parent
    if parent is None:
        return
    if is_attribute(node):
        called = is_callee(parent)
        for other in sorted(names.attributes[called] - {text}):
            yield Mutation(start, end, other, "name")
        return
    if text in _PARTNERS and is_callee(node):
        for other in _PARTNERS[text]:
            yield Mutation(start, end, other, "partner")
    if (text not in names.variables and text not in names.undefined) \
            or is_declaration(node):
        return
    if binder_of(node) is not None and names.bindings[text] == 1 \
            and names.uses[text] > 1:
        return  # the only binding of a name the code reads: renaming it unbinds that name
    # The other side of a comparison or an operation: ``x < x`` is never a fix.
    siblings = {source.of(c) for c in parent.named_children if c != node} \
        if parent.type in _BINARY | {"comparison_operator", "boolean_operator"} else set()
    for other, limit in names.variables.items():
        if other == text or not other.isidentifier() or other in siblings:
            continue
        if limit is not None and not (limit.start_byte <= node.start_byte < limit.end_byte):
            continue  # bound in a comprehension this name is not in
        yield Mutation(start, end, other, "name")


def _binary_mutations(source: Source, node: Node) -> Iterator[Mutation]:
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    if left is None or right is None or operator is None:
        return
    start, end = source.span(node)
    op = source.of(operator)
    if op in ("+", "-") and right.type in _INTEGERS:  # a constant too many: ``x + 1``
        yield Mutation(start, end, source.of(left), "drop")
    if op == "+" and left.type in _INTEGERS:  # ``1 + f(x)`` for ``f(x)``
        yield Mutation(start, end, source.of(right), "drop")
    if op in _NONCOMMUTATIVE:
        between = source.text[source.offset(left.end_byte):source.offset(right.start_byte)]
        yield Mutation(start, end, source.of(right) + between + source.of(left), "swap")


def _call_mutations(source: Source, node: Node) -> Iterator[Mutation]:
    arguments = node.child_by_field_name("arguments")
    if arguments is None or arguments.type not in _ARGUMENTS:
        return
    positional = [c for c in arguments.named_children if c.type != "comment"]
    if any(c.type in ("keyword_argument", "list_splat", "dictionary_splat", "spread_element")
           for c in positional):
        return
    start, end = source.span(node)
    callee = node.child_by_field_name("function")
    statement = node.parent is not None and node.parent.type == "expression_statement"
    if len(positional) == 1 and positional[0].type not in _LITERALS and not statement \
            and callee is not None and callee.type in IDENTIFIERS:
        yield Mutation(start, end, source.of(positional[0]), "unwrap")  # ``f(x)`` for ``x``
    if len(positional) == 2:
        yield from _swapped(source, positional[0], positional[1])
    # An argument left behind its sibling: ``f(a[1:], b)`` for ``f(a[1:], b[1:])``.
    names = [c for c in positional if c.type in IDENTIFIERS]
    for sibling in positional:
        head = sibling.named_child(0) if sibling.named_child_count else None
        if sibling.type not in _SUBSCRIPTS | _BINARY or head is None \
                or head.type not in IDENTIFIERS:
            continue
        tail = source.text[source.offset(head.end_byte):source.offset(sibling.end_byte)]
        for name in names:
            if name.end_byte <= sibling.start_byte or name.start_byte >= sibling.end_byte:
                n_start, n_end = source.span(name)
                yield Mutation(n_start, n_end, source.of(name) + tail, "extend")


def _swapped(source: Source, first: Node, second: Node) -> Iterator[Mutation]:
    a, b = source.of(first), source.of(second)
    if a != b:
        start, _ = source.span(first)
        _, end = source.span(second)
        between = source.text[source.offset(first.end_byte):source.offset(second.start_byte)]
        yield Mutation(start, end, b + between + a, "swap")


def _negated(source: Source, condition: Node, python: bool) -> Iterator[Mutation]:
    start, end = source.span(condition)
    inner = source.of(condition)
    if python:
        simple = condition.type not in ("boolean_operator", "conditional_expression",
                                        "named_expression", "lambda")
        yield Mutation(start, end, f"not {inner}" if simple else f"not ({inner})", "negation")
    elif condition.type == "parenthesized_expression":
        yield Mutation(start, end, f"(!{inner})", "negation")


def _is_operand(node: Node) -> bool:
    """Whether ``node`` is a value that may be one off: an index, a slice bound, a call's
    argument, a side of a comparison, or a parenthesised value."""
    parent = node.parent
    if parent is None or node.type in _LITERALS or not node.is_named \
            or node.type in ("comment", "slice", "ERROR"):
        return False
    if node.type in _INTEGERS:
        return False  # constants are changed in place
    kind = parent.type
    if kind in _ARGUMENTS:
        callee = parent.parent.child_by_field_name("function") if parent.parent else None
        return callee is not None
    if kind in _SUBSCRIPTS:
        return node != parent.named_child(0)
    if kind in ("slice", "parenthesized_expression"):
        return True
    if kind == "comparison_operator":
        return True
    operator = parent.child_by_field_name("operator") if kind in _BINARY else None
    return operator is not None and operator.type in _COMPARISONS


def _missing_returns(source: Source, function: Node, variables: dict[str, Node | None]
                     ) -> Iterator[Mutation]:
    """A Python function that returns no value and ends with assignments: ``return name``
    for the names its last statements bind."""
    body = function.child_by_field_name("body")
    if body is None or not body.named_children:
        return
    for node in walk(body):
        if node.type == "yield" or (node.type == "return_statement" and node.named_child_count):
            return
    last = body.named_children[-1]
    if last.type in ("return_statement", "raise_statement"):
        return
    indent = " " * last.start_point.column
    _, end = source.span(last)
    bound = [source.of(n) for n in walk(body)
             if n.type in IDENTIFIERS and binder_of(n) is not None
             and variables.get(source.of(n), 0) is None]
    for name in dict.fromkeys(reversed(bound)):
        yield Mutation(end, end, f"\n{indent}return {name}", "return")
