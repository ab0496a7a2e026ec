"""What a scope binds and uses, read from its syntax tree, for the mutations (mutations.py):
the names its code binds (parameters, assignments, loop variables; each with the comprehension
it is limited to), how often each name is used and bound there, the names the file uses once and
binds nowhere, the file's attribute names, and whether an identifier binds or declares a name
rather than using it. The node names are those of Python and the C family.

Offsets are str indices in the text given.
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from .. import syntax

IDENTIFIERS = {"identifier"}
ATTRIBUTES = {"property_identifier", "field_identifier"}  # C family; Python: see is_attribute
CALLS = {"call", "call_expression", "method_invocation", "invocation_expression"}

_PATTERNS = {"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
             "expression_list", "list_splat_pattern", "parenthesized_expression",
             "array_pattern", "object_pattern", "shorthand_property_identifier_pattern"}
_BINDERS = {"assignment", "augmented_assignment", "for_statement", "for_in_clause",
            "assignment_expression", "variable_declarator", "for_in_statement",
            "short_var_declaration", "let_declaration", "named_expression", "as_pattern",
            "with_item"}
_COMPREHENSIONS = {"list_comprehension", "set_comprehension", "dictionary_comprehension",
                   "generator_expression"}
_PYTHON_BUILTINS = frozenset(dir(builtins))


class Source:
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


@dataclass
class ScopeNames:
    """What the scope binds and uses."""

    variables: dict[str, Node | None]  # bound names, each with its comprehension (or None)
    attributes: dict[bool, set[str]]  # attribute names of the file, by whether called
    uses: Counter[str]  # occurrences of each name in the scope
    bindings: Counter[str]  # of which bind it (parameters, assignments, loops)
    undefined: set[str] = field(default_factory=set)  # used once in the file, bound nowhere


def scope_names(source: Source, root: Node, scope: Node, python: bool) -> ScopeNames:
    """The names of ``scope`` (a node of the tree whose root is ``root``)."""
    variables = _variables(source, scope)
    names = ScopeNames(variables, _attributes(source, root), Counter(), Counter())
    # Names used once in the whole file and bound nowhere: undefined, most likely a typo.
    uses = Counter(source.of(n) for n in walk(root) if n.type in IDENTIFIERS)
    names.undefined = {name for name, count in uses.items() if count == 1
                       and name not in variables and not (python and name in _PYTHON_BUILTINS)}
    for node in walk(scope):
        if node.type in IDENTIFIERS and not is_attribute(node):
            name = source.of(node)
            names.uses[name] += 1
            names.bindings[name] += binder_of(node) is not None or _parameter_name_of(node, scope)
    return names


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node under it, in document order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def is_attribute(node: Node) -> bool:
    parent = node.parent
    if node.type in ATTRIBUTES:
        return True
    return parent is not None and parent.type == "attribute" \
        and parent.child_by_field_name("attribute") == node


def is_callee(node: Node) -> bool:
    parent = node.parent
    return parent is not None and parent.type in CALLS \
        and parent.child_by_field_name("function") == node


def is_declaration(node: Node) -> bool:
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


def _variables(source: Source, scope: Node) -> dict[str, Node | None]:
    """The names the code in ``scope`` binds (parameters, assignments, loop variables), each
    with the comprehension it is limited to (None: the whole scope)."""
    names: dict[str, Node | None] = {}
    parameters = scope.child_by_field_name("parameters")
    if parameters is not None:
        for node in walk(parameters):
            if node.type in IDENTIFIERS and _parameter_name(node):
                names[source.of(node)] = None
    for node in walk(scope):
        if node.type not in IDENTIFIERS:
            continue
        binder = binder_of(node)
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


def binder_of(node: Node) -> Node | None:
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


def _attributes(source: Source, root: Node) -> dict[bool, set[str]]:
    """Attribute names the file uses, split by whether they are called (methods) or not."""
    found: dict[bool, set[str]] = {True: set(), False: set()}
    for node in walk(root):
        if (node.type in IDENTIFIERS or node.type in ATTRIBUTES) and is_attribute(node) \
                and node.parent is not None:
            found[is_callee(node.parent)].add(source.of(node))
    return found

