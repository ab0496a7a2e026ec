"""Flaws a one-token edit can bring into a Python function, read from its syntax tree: a
local variable read before anything assigns it, a variable assigned but then never used, a loop
variable reassigned inside its own loop, a value compared with itself.

A language model likes such edits (``tortoise = tortoise = node`` repeats what it just saw,
``return tokens`` is a common line), and they are never the repair: the fix search drops a
candidate that has more of them than the code as it is. Other languages have no checks here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

from tree_sitter import Node

from .. import syntax

_SCOPES = {"function_definition", "lambda", "class_definition"}
_COMPREHENSIONS = {"list_comprehension", "set_comprehension", "dictionary_comprehension",
                   "generator_expression"}
_PATTERNS = {"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
             "expression_list", "list_splat_pattern", "parenthesized_expression"}
_SELF_CHECKED = {"==", "!=", "<", "<=", ">", ">=", "-", "/", "//", "%", "is", "is not", "and",
                 "or", "^"}
_INFINITY = 1 << 62


def flaws(text: str, language_id: str, offset: int) -> Counter[str] | None:
    """The flaws of the function starting at str ``offset`` of ``text`` (None: not Python, or
    no function there)."""
    function = _function_at(text, language_id, offset)
    return None if function is None else function.flaws()


def adds_flaws(original: str, changed: str, language_id: str, offset: int) -> bool:
    """Whether the function at ``offset`` has a flaw in ``changed`` that it has fewer of in
    ``original``, or reads a name that ``original`` assigned and ``changed`` no longer does."""
    before = _cached_function_at(original, language_id, offset)
    after = _function_at(changed, language_id, offset)
    if before is None or after is None:
        return False
    old, new = before.flaws(), after.flaws()
    if any(count > old[name] for name, count in new.items()):
        return True
    lost = (set(before.bound) - set(after.bound) - after.params) & set(after.reads)
    return bool(lost)


@lru_cache(maxsize=4)
def _cached_function_at(text: str, language_id: str, offset: int) -> _Function | None:
    """The original is compared with every candidate."""
    return _function_at(text, language_id, offset)


def _function_at(text: str, language_id: str, offset: int) -> _Function | None:
    if language_id != "python":
        return None
    tree = syntax.parse(text, language_id)
    if tree is None:
        return None
    byte = syntax.byte_offset(text, offset)
    node: Node | None = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None and node.type != "function_definition":
        node = node.parent
    return None if node is None else _Function(node)


class _Function:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.params: set[str] = set()
        self.declared: set[str] = set()  # global / nonlocal
        self.bound: dict[str, list[int]] = {}  # name → where each binding takes effect
        self.reads: dict[str, list[int]] = {}  # name → where it is read (nested: never first)
        self.value_reads: Counter[str] = Counter()  # reads that use the value
        self.found: Counter[str] = Counter()
        parameters = node.child_by_field_name("parameters")
        if parameters is not None:
            for child in _walk(parameters):
                if child.type == "identifier" and _is_parameter_name(child):
                    self.params.add(_text(child))
        body = node.child_by_field_name("body")
        if body is not None:
            self._visit(body)

    def flaws(self) -> Counter[str]:
        found = Counter(self.found)
        for name, bindings in self.bound.items():
            if name in self.params or name in self.declared:
                continue
            first = min(bindings)
            if any(position < first for position in self.reads.get(name, ())):
                found["unbound"] += 1
            if not self.value_reads[name]:
                found["unused"] += 1
        return found

    # -- walking --------------------------------------------------------------------------------
    def _visit(self, node: Node) -> None:
        for child in _walk(node, skip=_SCOPES | _COMPREHENSIONS):
            kind = child.type
            if kind in ("global_statement", "nonlocal_statement"):
                self.declared |= {_text(c) for c in child.named_children}
            elif kind in _SCOPES and child is not node:
                name = child.child_by_field_name("name")
                if name is not None:
                    self.bound.setdefault(_text(name), []).append(child.start_byte)
                self._visit_nested(child)
            elif kind in _COMPREHENSIONS:
                self._visit_nested(child)
            elif kind == "identifier":
                self._name(child)
            elif kind == "for_statement":
                self._loop(child)
            elif kind in ("comparison_operator", "binary_operator", "boolean_operator"):
                operands = child.named_children
                operator = next((c.type for c in child.children if not c.is_named), "")
                if len(operands) == 2 and operator in _SELF_CHECKED \
                        and _text(operands[0]) == _text(operands[1]):
                    self.found["self-compared"] += 1

    def _visit_nested(self, node: Node) -> None:
        """Reads inside a nested function or comprehension use the value, later."""
        inner: set[str] = set()
        for child in _walk(node):
            if child.type == "identifier" and _binding_of(child) is not None:
                inner.add(_text(child))
        for child in _walk(node):
            if child.type == "identifier" and _is_read(child) and _text(child) not in inner:
                name = _text(child)
                self.reads.setdefault(name, []).append(_INFINITY)
                self.value_reads[name] += 1
            elif child.type == "identifier" and _is_read(child) and node.type in _COMPREHENSIONS:
                # The comprehension's iterable is read at once, in the function's scope.
                self.value_reads[_text(child)] += 1

    def _name(self, node: Node) -> None:
        name = _text(node)
        binding = _binding_of(node)
        if binding is not None:
            takes_effect = node.end_byte if binding.type == "for_statement" else binding.end_byte
            self.bound.setdefault(name, []).append(takes_effect)
            if binding.type == "augmented_assignment":
                self.reads.setdefault(name, []).append(node.start_byte)
                self.value_reads[name] += 1  # ``x += 1`` uses x
            return
        if not _is_read(node):
            return
        self.reads.setdefault(name, []).append(node.start_byte)
        if not _updates_only(node):
            self.value_reads[name] += 1

    def _loop(self, loop: Node) -> None:
        """A loop variable assigned again inside its own loop."""
        target = loop.child_by_field_name("left")
        body = loop.child_by_field_name("body")
        if target is None or body is None:
            return
        names = {_text(c) for c in _walk(target) if c.type == "identifier"}
        for child in _walk(body, skip=_SCOPES | _COMPREHENSIONS):
            if child.type == "identifier" and _text(child) in names:
                binding = _binding_of(child)
                if binding is not None and binding.type in ("assignment",
                                                             "augmented_assignment"):
                    self.found["loop-variable-reassigned"] += 1


def _walk(node: Node, skip: set[str] | None = None) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is node or skip is None or current.type not in skip:
            stack.extend(reversed(current.children))


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text else ""


def _binding_of(node: Node) -> Node | None:
    """The assignment or loop binding ``node`` (a name on its left side), or None."""
    child, parent = node, node.parent
    while parent is not None and parent.type in _PATTERNS:
        child, parent = parent, parent.parent
    if parent is None:
        return None
    if parent.type in ("assignment", "augmented_assignment", "for_statement", "for_in_clause",
                       "named_expression", "with_item", "as_pattern") \
            and (parent.child_by_field_name("left") == child
                 or parent.child_by_field_name("name") == child
                 or parent.child_by_field_name("alias") == child):
        return parent
    if parent.type in ("import_statement", "import_from_statement", "aliased_import",
                       "dotted_name"):
        return parent
    return None


def _is_read(node: Node) -> bool:
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "attribute" and parent.child_by_field_name("attribute") == node:
        return False
    if parent.type == "keyword_argument" and parent.child_by_field_name("name") == node:
        return False
    return not (parent.type in _SCOPES and parent.child_by_field_name("name") == node)


def _updates_only(node: Node) -> bool:
    """``x.append(y)`` as a statement changes x without using its value."""
    attribute = node.parent
    if attribute is None or attribute.type != "attribute" \
            or attribute.child_by_field_name("object") != node:
        return False
    call = attribute.parent
    return call is not None and call.type == "call" and call.parent is not None \
        and call.parent.type == "expression_statement"


def _is_parameter_name(node: Node) -> bool:
    child, parent = node, node.parent
    while parent is not None and parent.type != "parameters":
        index = next((i for i in range(parent.child_count) if parent.child(i) == child), -1)
        if parent.field_name_for_child(index) in ("type", "value"):
            return False
        child, parent = parent, parent.parent
    return True
