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
Java, C, Rust...).

Offsets are str indices in the text given.
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from tree_sitter import Node

from .. import syntax

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
_PYTHON_BUILTINS = frozenset(dir(builtins))
_IDENTIFIERS = {"identifier"}
_ATTRIBUTES = {"property_identifier", "field_identifier"}  # C family; Python: see _is_attribute
_INTEGERS = {"integer", "number", "integer_literal", "int_literal", "decimal_integer_literal"}
_CALLS = {"call", "call_expression", "method_invocation", "invocation_expression"}
_ARGUMENTS = {"argument_list", "arguments"}
_SUBSCRIPTS = {"subscript", "subscript_expression", "index_expression", "element_reference"}
_BINARY = {"binary_operator", "binary_expression"}
_NEGATIONS = {"not_operator", "unary_expression", "unary_operator", "prefix_unary_expression"}
_CONDITIONAL = {"if_statement", "while_statement", "elif_clause", "do_statement"}
_PATTERNS = {"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
             "expression_list", "list_splat_pattern", "parenthesized_expression",
             "array_pattern", "object_pattern", "shorthand_property_identifier_pattern"}
_BINDERS = {"assignment", "augmented_assignment", "for_statement", "for_in_clause",
            "assignment_expression", "variable_declarator", "for_in_statement",
            "short_var_declaration", "let_declaration", "named_expression", "as_pattern",
            "with_item"}
_COMPREHENSIONS = {"list_comprehension", "set_comprehension", "dictionary_comprehension",
                   "generator_expression"}
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


@dataclass
class _Names:
    """What the scope binds and uses."""

    variables: dict[str, Node | None]  # bound names, each with its comprehension (or None)
    attributes: dict[bool, set[str]]  # attribute names of the file, by whether called
    uses: Counter[str]  # occurrences of each name in the scope
    bindings: Counter[str]  # of which bind it (parameters, assignments, loops)
    undefined: set[str] = field(default_factory=set)  # used once in the file, bound nowhere


class _Source:
    """The parsed text and str offsets of its nodes."""

    def __init__(self, text: str, data: bytes) -> None:
        self.text, self.data = text, data
        self._starts: dict[int, int] = {}

    def offset(self, byte: int) -> int:
        if byte not in self._starts:
            self._starts[byte] = syntax.char_offset(self.data, byte)
        return self._starts[byte]

    def span(self, node: Node) -> tuple[int, int]:
        return self.offset(node.start_byte), self.offset(node.end_byte)

    def of(self, node: Node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")


def mutations(text: str, language_id: str, start: int, end: int,
              lines: set[int] | None = None) -> list[Mutation]:
    """Every mutation of the code in ``text[start:end]`` (a function, usually), on the lines
    (0-based, of ``text``) in ``lines`` if given. Duplicates (the same change reached by two
    rules) are listed once; none is checked for syntax here."""
    tree = syntax.parse(text, language_id)
    if tree is None:
        return []
    data = text.encode("utf-8", "surrogatepass")
    source = _Source(text, data)
    b_start, b_end = syntax.byte_offset(text, start), syntax.byte_offset(text, end)
    scope = _scope_node(tree.root_node, b_start, b_end)
    python = language_id == "python"
    variables = _variables(source, scope)
    names = _Names(variables, _attributes(source, tree.root_node), Counter(), Counter())
    # Names used once in the whole file and bound nowhere: undefined, most likely a typo.
    uses = Counter(source.of(n) for n in _walk(tree.root_node) if n.type in _IDENTIFIERS)
    names.undefined = {name for name, count in uses.items() if count == 1
                       and name not in variables and not (python and name in _PYTHON_BUILTINS)}
    for node in _walk(scope):
        if node.type in _IDENTIFIERS and not _is_attribute(node):
            name = source.of(node)
            names.uses[name] += 1
            names.bindings[name] += _binder(node) is not None or _parameter_name_of(node, scope)
    found: dict[tuple[int, int, str], Mutation] = {}

    def wanted(node: Node) -> bool:
        return b_start <= node.start_byte and node.end_byte <= b_end and (
            lines is None or node.start_point.row in lines)

    for node in _walk(scope):
        if not wanted(node):
            continue
        for mutation in _node_mutations(source, node, python, names):
            if source.text[mutation.start:mutation.end] != mutation.text:
                found.setdefault((mutation.start, mutation.end, mutation.text), mutation)
    if python and syntax.is_function(scope):
        for mutation in _missing_returns(source, scope, variables):
            found.setdefault((mutation.start, mutation.end, mutation.text), mutation)
    return sorted(found.values(), key=lambda m: (m.start, m.end, m.text))


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


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


def _node_mutations(source: _Source, node: Node, python: bool, names: _Names
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
    if kind in _IDENTIFIERS or kind in _ATTRIBUTES:
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
    elif kind in _CALLS:
        yield from _call_mutations(source, node)
    elif kind in _SUBSCRIPTS:
        indices = [c for c in node.named_children[1:] if c.type != "comment"]
        if len(indices) == 2:
            yield from _swapped(source, indices[0], indices[1])
    if kind in _CONDITIONAL:
        condition = node.child_by_field_name("condition")
        if condition is not None and condition.type not in _NEGATIONS:
            yield from _negated(source, condition, python)


def _name_mutations(source: _Source, node: Node, text: str, names: _Names
                    ) -> Iterator[Mutation]:
    start, end = source.span(node)
    parent = node.parent
    if parent is None:
        return
    if _is_attribute(node):
        called = _is_callee(parent)
        for other in sorted(names.attributes[called] - {text}):
            yield Mutation(start, end, other, "name")
        return
    if text in _PARTNERS and _is_callee(node):
        for other in _PARTNERS[text]:
            yield Mutation(start, end, other, "partner")
    if (text not in names.variables and text not in names.undefined) \
            or _is_declaration(node):
        return
    if _binder(node) is not None and names.bindings[text] == 1 \
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


def _binary_mutations(source: _Source, node: Node) -> Iterator[Mutation]:
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


def _call_mutations(source: _Source, node: Node) -> Iterator[Mutation]:
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
            and callee is not None and callee.type in _IDENTIFIERS:
        yield Mutation(start, end, source.of(positional[0]), "unwrap")  # ``f(x)`` for ``x``
    if len(positional) == 2:
        yield from _swapped(source, positional[0], positional[1])
    # An argument left behind its sibling: ``f(a[1:], b)`` for ``f(a[1:], b[1:])``.
    names = [c for c in positional if c.type in _IDENTIFIERS]
    for sibling in positional:
        head = sibling.named_child(0) if sibling.named_child_count else None
        if sibling.type not in _SUBSCRIPTS | _BINARY or head is None \
                or head.type not in _IDENTIFIERS:
            continue
        tail = source.text[source.offset(head.end_byte):source.offset(sibling.end_byte)]
        for name in names:
            if name.end_byte <= sibling.start_byte or name.start_byte >= sibling.end_byte:
                n_start, n_end = source.span(name)
                yield Mutation(n_start, n_end, source.of(name) + tail, "extend")


def _swapped(source: _Source, first: Node, second: Node) -> Iterator[Mutation]:
    a, b = source.of(first), source.of(second)
    if a != b:
        start, _ = source.span(first)
        _, end = source.span(second)
        between = source.text[source.offset(first.end_byte):source.offset(second.start_byte)]
        yield Mutation(start, end, b + between + a, "swap")


def _negated(source: _Source, condition: Node, python: bool) -> Iterator[Mutation]:
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


def _is_attribute(node: Node) -> bool:
    parent = node.parent
    if node.type in _ATTRIBUTES:
        return True
    return parent is not None and parent.type == "attribute" \
        and parent.child_by_field_name("attribute") == node


def _is_callee(node: Node) -> bool:
    parent = node.parent
    return parent is not None and parent.type in _CALLS \
        and parent.child_by_field_name("function") == node


def _is_declaration(node: Node) -> bool:
    """A name being declared (a function's own name, a parameter, a keyword argument's name),
    not used."""
    parent = node.parent
    if parent is None:
        return True
    if parent.type in ("keyword_argument", "default_parameter", "typed_default_parameter") \
            and parent.child_by_field_name("name") == node:
        return True
    if syntax.is_definition(parent) and parent.child_by_field_name("name") == node:
        return True
    chain: Node | None = parent
    while chain is not None:
        if chain.type in ("parameters", "formal_parameters", "parameter_list", "lambda_parameters",
                          "import_statement", "import_from_statement", "global_statement",
                          "nonlocal_statement"):
            return True
        if syntax.is_definition(chain) or chain.type.endswith("statement"):
            return False
        chain = chain.parent
    return False


def _variables(source: _Source, scope: Node) -> dict[str, Node | None]:
    """The names the code in ``scope`` binds (parameters, assignments, loop variables), each
    with the comprehension it is limited to (None: the whole scope)."""
    names: dict[str, Node | None] = {}
    parameters = scope.child_by_field_name("parameters")
    if parameters is not None:
        for node in _walk(parameters):
            if node.type in _IDENTIFIERS and _parameter_name(node):
                names[source.of(node)] = None
    for node in _walk(scope):
        if node.type not in _IDENTIFIERS:
            continue
        binder = _binder(node)
        if binder is None:
            continue
        name = source.of(node)
        limit = binder.parent if binder.type == "for_in_clause" else None
        if limit is not None and limit.type not in _COMPREHENSIONS:
            limit = None
        if name not in names or (names[name] is not None and limit is None):
            names[name] = limit
    return names


def _parameter_name_of(node: Node, scope: Node) -> bool:
    parameters = scope.child_by_field_name("parameters")
    return parameters is not None and parameters.start_byte <= node.start_byte \
        < parameters.end_byte and _parameter_name(node)


def _parameter_name(node: Node) -> bool:
    """Whether an identifier inside a parameter list names a parameter (not its type or its
    default value)."""
    child, parent = node, node.parent
    while parent is not None and parent.type not in ("parameters", "formal_parameters",
                                                     "parameter_list", "lambda_parameters"):
        index = next((i for i in range(parent.child_count) if parent.child(i) == child), -1)
        if parent.field_name_for_child(index) in ("type", "value", "default") \
                or child.type in ("type", "generic_type", "type_annotation"):
            return False
        child, parent = parent, parent.parent
    return True


def _binder(node: Node) -> Node | None:
    """The assignment or loop that binds ``node`` (a name on its left side), or None."""
    child, parent = node, node.parent
    while parent is not None and parent.type in _PATTERNS:
        child, parent = parent, parent.parent
    if parent is None or parent.type not in _BINDERS:
        return None
    for name in ("left", "name", "alias", "pattern"):
        if parent.child_by_field_name(name) == child:
            return parent
    return None


def _attributes(source: _Source, root: Node) -> dict[bool, set[str]]:
    """Attribute names the file uses, split by whether they are called (methods) or not."""
    found: dict[bool, set[str]] = {True: set(), False: set()}
    for node in _walk(root):
        if (node.type in _IDENTIFIERS or node.type in _ATTRIBUTES) and _is_attribute(node) \
                and node.parent is not None:
            found[_is_callee(node.parent)].add(source.of(node))
    return found


def _missing_returns(source: _Source, function: Node, variables: dict[str, Node | None]
                     ) -> Iterator[Mutation]:
    """A Python function that returns no value and ends with assignments: ``return name``
    for the names its last statements bind."""
    body = function.child_by_field_name("body")
    if body is None or not body.named_children:
        return
    for node in _walk(body):
        if node.type == "yield" or (node.type == "return_statement" and node.named_child_count):
            return
    last = body.named_children[-1]
    if last.type in ("return_statement", "raise_statement"):
        return
    indent = " " * last.start_point.column
    _, end = source.span(last)
    bound = [source.of(n) for n in _walk(body)
             if n.type in _IDENTIFIERS and _binder(n) is not None
             and variables.get(source.of(n), 0) is None]
    for name in dict.fromkeys(reversed(bound)):
        yield Mutation(end, end, f"\n{indent}return {name}", "return")
