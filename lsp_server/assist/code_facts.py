"""What a piece of code does, read from its syntax tree: what it returns and when, what it loops
over, what it updates on each pass, whether it calls itself or raises, and the patterns that
usually mean a bug (a function named ``max`` that keeps the smaller value, a total reset inside
its loop, a backwards ``range`` that stops before 0, a branch that an earlier one shadows, a
division by the length of a list that may be empty, a parameter never used).

Explanations state these facts next to the model's prose (and give them to the model, so its
prose can lean on them): a small model describes what a function's name suggests, the tree says
what the code does. Facts are keys of a template table (``[facts.<locale>]`` in
prompts/explain.toml) with code snippets as values, so they read in the editor's language.

The rules know the node names of Python and of the C family (JavaScript, TypeScript, Java, C,
Go...), listed in tree_reading.py; other languages get fewer facts, never wrong ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from tree_sitter import Node

from .. import syntax
from .tree_reading import (
    ASSIGNMENTS,
    AUGMENTED,
    BINARY,
    CALLS,
    COMPARISON,
    ELSE_IFS,
    ELSES,
    FUNCTION_TYPES,
    HANDLERS,
    IFS,
    LITERAL_TYPES,
    LOOPS,
    RAISES,
    RETURNS,
    Reader,
    condition_of,
    handler_of,
    inside_loop,
    is_call_statement,
    named,
    top_nodes,
    walk,
)

MAX_FACTS = 10
MAX_WRONG = 4

_MAX_WORDS = {"max", "maximum", "largest", "biggest", "highest", "greatest", "most", "top"}
_MIN_WORDS = {"min", "minimum", "smallest", "lowest", "least", "fewest"}


@dataclass(frozen=True)
class Fact:
    key: str  # a template in [facts.<locale>]
    values: tuple[tuple[str, str], ...] = ()  # placeholder → code (quoted when rendered)
    wrong: bool = False  # something that looks like a bug

    def render(self, templates: Mapping[str, str]) -> str:
        template = templates.get(self.key, "")
        if not template:
            return ""
        values = {name: f"`{code}`" for name, code in self.values}
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


@dataclass
class CodeFacts:
    does: list[Fact] = field(default_factory=list)
    wrong: list[Fact] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.does or self.wrong)

    def lines(self, templates: Mapping[str, str]) -> tuple[list[str], list[str]]:
        """The facts as sentences: what the code does, and what looks wrong."""
        def render(facts: list[Fact], limit: int) -> list[str]:
            out = [fact.render(templates) for fact in facts[:limit]]
            return list(dict.fromkeys(line for line in out if line))
        return render(self.does, MAX_FACTS), render(self.wrong, MAX_WRONG)


def code_facts(text: str, language_id: str, start: int, end: int) -> CodeFacts:
    """The facts about ``text[start:end]`` (a function, or any lines)."""
    tree = syntax.parse(text, language_id)
    facts = CodeFacts()
    if tree is None:
        return facts
    data = text.encode("utf-8", "surrogatepass")
    b_start, b_end = syntax.byte_offset(text, start), syntax.byte_offset(text, end)
    reader = Reader(text, data)
    roots = top_nodes(tree.root_node, b_start, b_end)
    function = next((r for r in roots if r.type in FUNCTION_TYPES), None)
    name = reader.of(function.child_by_field_name("name")) if function is not None else ""
    python = language_id == "python"
    returns: list[Node] = []
    for root in roots:
        for node in walk(root):
            if node.type in FUNCTION_TYPES and node not in roots:
                continue
            _read_node(reader, node, name, facts, returns)
    _read_returns(reader, returns, function, python, facts)
    if function is not None:
        _read_function(reader, function, name, facts)
    return facts


def _read_node(reader: Reader, node: Node, name: str, facts: CodeFacts,
               returns: list[Node]) -> None:
    kind = node.type
    if kind in CALLS and name:
        callee = node.child_by_field_name("function")
        if callee is not None and reader.of(callee) in (name, f"self.{name}", f"this.{name}") \
                and not any(f.key == "calls_itself" for f in facts.does):
            facts.does.append(Fact("calls_itself", (("call", reader.of(node)),)))
    if kind in RETURNS:
        returns.append(node)
    elif kind in LOOPS:
        _read_loop(reader, node, facts)
    elif kind in RAISES:
        value = named(node, 0)
        condition = condition_of(reader, node)
        if value is None:
            facts.does.append(Fact("reraises_when", (("condition", condition),))
                              if condition else Fact("reraises"))
        elif condition:
            facts.does.append(Fact("raises_when", (("error", reader.of(value)),
                                                    ("condition", condition))))
        else:
            facts.does.append(Fact("raises", (("error", reader.of(value)),)))
    elif (kind in AUGMENTED or is_call_statement(node)) and inside_loop(node):
        condition = condition_of(reader, node, stop_at_loop=True)
        statement = reader.of(node)
        if condition:
            facts.does.append(Fact("updates_when", (("statement", statement),
                                                     ("condition", condition))))
        else:
            facts.does.append(Fact("updates", (("statement", statement),)))
    elif kind in IFS:
        _read_if(reader, node, facts)
    elif kind in HANDLERS:
        body = node.child_by_field_name("body") or (node.named_children[-1]
                                                    if node.named_children else None)
        if body is not None and reader.of(body) in ("pass", "{}", "{ }"):
            facts.wrong.append(Fact("swallowed"))
    elif kind in BINARY:
        _read_division(reader, node, facts)
    elif is_call_statement(node):
        facts.does.append(Fact("calls", (("call", reader.of(node)),)))


def _read_loop(reader: Reader, node: Node, facts: CodeFacts) -> None:
    kind = node.type
    if kind in ("for_statement", "for_in_statement", "enhanced_for_statement",
                "for_range_loop") and node.child_by_field_name("right") is not None:
        iterable = node.child_by_field_name("right")
        target = node.child_by_field_name("left")
        backwards = iterable is not None and _read_range(reader, iterable, facts)
        facts.does.append(Fact("loops_backwards" if backwards else "loops_over",
                               (("iterable", reader.of(iterable)),
                                ("target", _declared(reader, target)))))
    elif kind == "for_statement":
        header = " ".join(reader.of(c) for c in node.children
                          if c.is_named and c != node.child_by_field_name("body"))
        facts.does.append(Fact("loops", (("header", header),)))
    else:
        condition = node.child_by_field_name("condition")
        if condition is not None:
            facts.does.append(Fact("loops_while", (("condition", reader.of(condition)),)))
    body = node.child_by_field_name("body")
    if body is not None:
        _read_loop_body(reader, body, facts)


def _declared(reader: Reader, target: Node | None) -> str:
    """``x`` of ``const x`` (JavaScript's declarations are part of the loop's left side)."""
    text = reader.of(target)
    return re.sub(r"^(const|let|var)\s+", "", text)


def _read_range(reader: Reader, iterable: Node, facts: CodeFacts) -> bool:
    """Whether ``range(…)`` counts down; ``range(n - 1, 0, -1)`` never reaches 0."""
    if iterable.type != "call" or reader.of(iterable.child_by_field_name("function")) != "range":
        return False
    arguments = iterable.child_by_field_name("arguments")
    values = [reader.of(a) for a in arguments.named_children] if arguments else []
    backwards = len(values) == 3 and values[2].startswith("-")
    if backwards and values[1] == "0":
        facts.wrong.append(Fact("stops_before_zero", (("range", reader.of(iterable)),)))
    return backwards


def _read_loop_body(reader: Reader, body: Node, facts: CodeFacts) -> None:
    """A loop that returns on its first pass, and a variable reset before it is updated."""
    statements = [c for c in body.named_children if c.type != "comment"]
    branches = any(c.type in IFS | {"continue_statement", "try_statement", "break_statement"}
                   for c in statements)
    if statements and statements[-1].type in RETURNS and not branches:
        facts.wrong.append(Fact("returns_first_pass"))
    set_to: dict[str, str] = {}
    for statement in statements:
        inner = named(statement, 0) if statement.type == "expression_statement" \
            and statement.named_child_count else statement
        if inner is None:
            continue
        if inner.type in ASSIGNMENTS:
            left, right = inner.child_by_field_name("left"), inner.child_by_field_name("right")
            if left is not None and right is not None and right.type in LITERAL_TYPES:
                set_to[reader.of(left)] = reader.of(right)
        elif inner.type in AUGMENTED:
            target = reader.of(inner.child_by_field_name("left"))
            if target in set_to:
                facts.wrong.append(Fact("reset_in_loop", (("target", target),
                                                          ("value", set_to[target]))))


def _read_if(reader: Reader, node: Node, facts: CodeFacts) -> None:
    """``if a < b: b = a`` keeps the smaller value in ``b``; a branch that an earlier one
    shadows (``n % 15 == 0`` tested after ``n % 3 == 0``)."""
    condition = node.child_by_field_name("condition")
    consequence = node.child_by_field_name("consequence")
    if condition is not None and consequence is not None:
        kept = _kept_extreme(reader, condition, consequence)
        if kept is not None:
            key, target = kept
            facts.does.append(Fact(key, (("target", target),
                                         ("condition", reader.of(condition)))))
    tested: list[tuple[str, int, str]] = []  # (dividend, divisor, condition)
    for condition in _chain(node):
        divisible = _divisible(reader, condition)
        if divisible is None:
            continue
        dividend, divisor = divisible
        for earlier_dividend, earlier_divisor, earlier in tested:
            if earlier_dividend == dividend and divisor % earlier_divisor == 0:
                facts.wrong.append(Fact("shadowed", (("later", reader.of(condition)),
                                                     ("earlier", earlier))))
                break
        tested.append((dividend, divisor, reader.of(condition)))


def _chain(node: Node) -> list[Node]:
    """The conditions of an ``if``/``elif``/``else if`` chain, in order."""
    conditions: list[Node] = []
    current: Node | None = node
    while current is not None:
        condition = current.child_by_field_name("condition")
        if condition is not None:
            conditions.append(condition)
        for clause in current.children:
            other = clause.child_by_field_name("condition") if clause.type in ELSE_IFS \
                else None
            if other is not None:
                conditions.append(other)
        alternative = current.child_by_field_name("alternative")
        nested = named(alternative, 0) if alternative is not None \
            and alternative.type in ELSES and alternative.named_child_count == 1 else None
        current = nested if nested is not None and nested.type in IFS else None
    return conditions


def _divisible(reader: Reader, condition: Node | None) -> tuple[str, int] | None:
    """``x % 3 == 0`` → (x, 3)."""
    if condition is None:
        return None
    match = re.fullmatch(r"(\w+) % (\d+) ={2,3} 0", reader.of(condition))
    if match is None or int(match.group(2)) <= 1:
        return None
    return match.group(1), int(match.group(2))


def _kept_extreme(reader: Reader, condition: Node, consequence: Node) -> tuple[str, str] | None:
    """(``keeps_smaller`` or ``keeps_larger``, target) for ``if a < b: b = a`` and the like."""
    if condition.type == "parenthesized_expression" and condition.named_child_count == 1:
        condition = named(condition, 0) or condition
    if condition.type not in COMPARISON or condition.named_child_count != 2:
        return None
    operator = next((c for c in condition.children if not c.is_named), None)
    if operator is None or operator.type not in ("<", "<=", ">", ">="):
        return None
    left, right = (reader.of(c) for c in condition.named_children)
    statements = [named(c, 0) if c.type == "expression_statement" else c
                  for c in consequence.named_children if c.type != "comment"]
    if len(statements) != 1 or statements[0] is None or statements[0].type not in ASSIGNMENTS:
        return None
    target = reader.of(statements[0].child_by_field_name("left"))
    value = reader.of(statements[0].child_by_field_name("right"))
    less = operator.type in ("<", "<=")
    if (target, value) == (right, left):  # if a < b: b = a  → b keeps the smaller
        return ("keeps_smaller" if less else "keeps_larger"), target
    if (target, value) == (left, right):  # if b < a: b = a  → b keeps the larger
        return ("keeps_larger" if less else "keeps_smaller"), target
    return None


def _read_division(reader: Reader, node: Node, facts: CodeFacts) -> None:
    operator = node.child_by_field_name("operator")
    right = node.child_by_field_name("right")
    if operator is None or operator.type not in ("/", "//", "%") or right is None:
        return
    match = re.fullmatch(r"len\((\w+)\)|(\w+)\.length", reader.of(right))
    if match is None:
        return
    name = match.group(1) or match.group(2)
    function = node.parent
    while function is not None and function.type not in FUNCTION_TYPES:
        function = function.parent
    scope = function or node
    guarded = any(re.search(rf"\b{re.escape(name)}\b", reader.of(c, 10_000))
                  for c in walk(scope) if c.type in IFS | ELSE_IFS | {"assert_statement"}
                  and c.child_by_field_name("condition") is not None
                  and c.child_by_field_name("condition") != node)
    if not guarded:
        facts.wrong.append(Fact("empty_division", (("name", name),)))


def _read_returns(reader: Reader, returns: list[Node], function: Node | None, python: bool,
                  facts: CodeFacts) -> None:
    guarded_before = False
    for node in returns:
        value = named(node, 0)
        condition = condition_of(reader, node)
        handler = handler_of(node)
        if value is None:
            continue
        if handler:
            facts.does.append(Fact("returns_on_error", (("value", reader.of(value)),
                                                        ("error", handler))))
        elif condition:
            facts.does.append(Fact("returns_when", (("value", reader.of(value)),
                                                    ("condition", condition))))
            guarded_before = True
        elif guarded_before:
            facts.does.append(Fact("returns_otherwise", (("value", reader.of(value)),)))
        else:
            facts.does.append(Fact("returns", (("value", reader.of(value)),)))
    if function is not None and python and not any(named(n, 0) for n in returns) \
            and not any(n.type == "yield" for n in walk(function)):
        facts.does.append(Fact("returns_nothing"))
    if function is not None and any(n.type in ("yield", "yield_expression")
                                    for n in walk(function)):
        value = next((named(n, 0) for n in walk(function)
                      if n.type in ("yield", "yield_expression") and n.named_child_count), None)
        if value is not None:
            facts.does.append(Fact("yields", (("value", reader.of(value)),)))


def _read_function(reader: Reader, function: Node, name: str, facts: CodeFacts) -> None:
    """A name that says the opposite of what the code keeps; parameters never used."""
    words = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)}
    keeps = {f.key for f in facts.does}
    if words & _MAX_WORDS and "keeps_smaller" in keeps and "keeps_larger" not in keeps:
        facts.wrong.insert(0, Fact("named_max_keeps_smaller", (("name", name),)))
    if words & _MIN_WORDS and "keeps_larger" in keeps and "keeps_smaller" not in keeps:
        facts.wrong.insert(0, Fact("named_min_keeps_larger", (("name", name),)))
    parameters = function.child_by_field_name("parameters")
    body = function.child_by_field_name("body")
    if parameters is None or body is None:
        return
    used = {reader.of(n) for n in walk(body) if n.type == "identifier"}
    for parameter in parameters.named_children:
        node = parameter if parameter.type == "identifier" else \
            parameter.child_by_field_name("name") or parameter.child_by_field_name("pattern")
        if node is None or node.type != "identifier":
            continue
        param = reader.of(node)
        if param not in used and param not in ("self", "cls") and not param.startswith("_"):
            facts.wrong.append(Fact("unused_parameter", (("name", param),)))
        default = parameter.child_by_field_name("value")
        if default is not None and default.type in ("list", "dictionary", "set") \
                and parameter.type in ("default_parameter", "typed_default_parameter"):
            facts.wrong.append(Fact("mutable_default", (("name", param),
                                                        ("value", reader.of(default)))))
