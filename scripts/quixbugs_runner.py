"""Runs one QuixBugs program against its test cases, in a child process (see eval_fix.py).

Reads {"name", "program", "cases" | "reference", "all"?} as JSON on stdin and prints one JSON
line: {"passed": bool, "cases": n, "failure": {...} | null} (with "all": every case is run and
"failed" lists the failing ones). Programs with JSON test cases are checked
against the expected values; the graph programs (which have none) run the cases below on fresh
inputs and are checked against the reference program's answers.

The failure says what a test runner would show: the exception and the line it was raised on in
the program, or the input, the result and the expected value.
"""

from __future__ import annotations

import itertools
import json
import math
import signal
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

CASE_SECONDS = 3
PROGRAM = "<program>"


class CaseTimeout(Exception):
    pass


def _alarm(signum: int, frame: types.FrameType | None) -> None:
    raise CaseTimeout


class Node:
    """The node type QuixBugs' graph programs expect (fresh lists per node)."""

    def __init__(self, value: Any = None) -> None:
        self.value = value
        self.successor: Node | None = None
        self.successors: list[Node] = []
        self.predecessors: list[Node] = []
        self.incoming_nodes: list[Node] = []
        self.outgoing_nodes: list[Node] = []

    def __lt__(self, other: Node) -> bool:  # ties in heaps of (distance, node)
        return str(self.value) < str(other.value)

    def __repr__(self) -> str:
        return f"Node({self.value!r})"


def _named(edges: dict[str, str]) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for name, targets in edges.items():
        nodes.setdefault(name, Node(name))
        for target in targets:
            nodes.setdefault(target, Node(target))
            nodes[name].successors.append(nodes[target])
    return nodes


def _reach(edges: dict[str, str], start: str, goal: str) -> Callable[[Any], Any]:
    def case(fn: Any) -> Any:
        nodes = _named(edges)
        return fn(nodes[start], nodes[goal])
    return case


def _chain(length: int, back_to: int | None = None, values: bool = False
           ) -> Callable[[Any], Any]:
    def case(fn: Any) -> Any:
        nodes = [Node(i) for i in range(length)]
        for a, b in itertools.pairwise(nodes):
            a.successor = b
        if back_to is not None:
            nodes[-1].successor = nodes[back_to]
        result = fn(nodes[0] if nodes else None)
        if not values:
            return result
        out: list[Any] = []
        while result is not None and len(out) <= length:
            out.append(result.value)
            result = result.successor
        return out
    return case


def _dijkstra(edges: dict[tuple[str, str], int], start: str, goal: str) -> Callable[[Any], Any]:
    def case(fn: Any) -> Any:
        nodes: dict[str, Node] = {}
        lengths: dict[tuple[Node, Node], int] = {}
        for pair, weight in edges.items():
            a = nodes.setdefault(pair[0], Node(pair[0]))
            b = nodes.setdefault(pair[1], Node(pair[1]))
            a.successors.append(b)
            lengths[a, b] = weight
        return fn(lengths, nodes[start], nodes[goal])
    return case


def _all_pairs(n: int, edges: dict[tuple[int, int], int]) -> Callable[[Any], Any]:
    def case(fn: Any) -> Any:
        result = fn(n, dict(edges))
        return [[i, j, str(result[i, j])] for i in range(n) for j in range(n)]
    return case


def _from_source(source: str, edges: dict[tuple[str, str], int]) -> Callable[[Any], Any]:
    def case(fn: Any) -> Any:
        result = fn(source, dict(edges))
        return sorted([str(k), str(v)] for k, v in result.items())
    return case


def _spanning(edges: dict[tuple[int, int], int]) -> Callable[[Any], Any]:
    def case(fn: Any) -> Any:
        return sorted(list(edge) for edge in fn(dict(edges)))
    return case


def _topological(edges: dict[str, str], order: str) -> Callable[[Any], Any]:
    def case(fn: Any) -> Any:
        nodes = {name: Node(name) for name in order}
        for name, targets in edges.items():
            for target in targets:
                nodes[name].outgoing_nodes.append(nodes[target])
                nodes[target].incoming_nodes.append(nodes[name])
        return [node.value for node in fn([nodes[name] for name in order])]
    return case


_REACH = [
    _reach({"a": "b", "b": "c", "c": "d"}, "a", "d"),
    _reach({"x": "", "y": ""}, "x", "y"),
    _reach({"a": ""}, "a", "a"),
    _reach({"a": "b", "b": "a", "c": ""}, "a", "c"),
    _reach({"a": "bc", "b": "d", "c": "e"}, "a", "e"),
    _reach({"a": "bc", "b": "d", "c": "e", "d": "b"}, "b", "e"),
]
GRAPH_CASES: dict[str, list[Callable[[Any], Any]]] = {
    "breadth_first_search": _REACH,
    "depth_first_search": _REACH,
    "detect_cycle": [_chain(5), _chain(4), _chain(4, 1), _chain(1), _chain(1, 0), _chain(2),
                     _chain(6, 3)],
    "reverse_linked_list": [_chain(5, values=True), _chain(1, values=True),
                            _chain(2, values=True)],
    "minimum_spanning_tree": [
        _spanning({(1, 2): 10, (2, 3): 15, (3, 4): 10, (1, 4): 10}),
        _spanning({(1, 2): 6, (1, 3): 1, (1, 4): 5, (2, 3): 5, (2, 5): 3, (3, 4): 5,
                   (3, 5): 6, (3, 6): 4, (4, 6): 2, (5, 6): 6}),
        _spanning({(6, 3): 5, (7, 3): 6, (1, 6): 10, (1, 2): 12, (2, 7): 4, (3, 4): 9,
                   (4, 5): 8, (5, 6): 11}),
    ],
    "shortest_path_length": [
        _dijkstra({("a", "b"): 3, ("a", "c"): 3, ("a", "f"): 5, ("c", "b"): 1, ("c", "d"): 2,
                   ("f", "e"): 5, ("b", "e"): 2, ("d", "e"): 3}, "a", "e"),
        _dijkstra({("a", "b"): 1, ("b", "c"): 1, ("a", "c"): 5}, "a", "c"),
        _dijkstra({("a", "b"): 2}, "b", "a"),
        _dijkstra({("a", "b"): 7, ("a", "c"): 1, ("c", "d"): 1, ("d", "b"): 1}, "a", "b"),
    ],
    "shortest_path_lengths": [
        _all_pairs(4, {(0, 1): 3, (1, 2): 2, (0, 2): 8, (2, 3): 1, (3, 0): 2}),
        _all_pairs(3, {(0, 1): 1, (1, 2): 1}),
        _all_pairs(5, {(0, 2): 3, (0, 4): 9, (1, 0): 2, (2, 1): 4, (3, 4): 1, (4, 3): 5}),
    ],
    "shortest_paths": [
        _from_source("A", {("A", "B"): 3, ("A", "C"): 3, ("A", "F"): 5, ("C", "B"): -2,
                           ("C", "D"): 7, ("C", "E"): 4, ("D", "E"): -5, ("E", "F"): -1}),
        _from_source("A", {("A", "B"): 1, ("B", "C"): 1, ("A", "C"): 5}),
    ],
    "topological_ordering": [
        _topological({"a": "bc", "b": "d", "c": "d"}, "abcd"),
        _topological({"a": "b", "c": "b", "b": "d"}, "abcd"),
        _topological({"f": "ac", "e": "ab", "c": "d", "d": "b"}, "abcdef"),
    ],
}


def _normal(value: Any) -> Any:
    """Results as JSON shows them: generators and tuples become lists."""
    if isinstance(value, types.GeneratorType | tuple | list):
        return [_normal(v) for v in value]
    return value


# Programs whose results are approximations, checked as QuixBugs' own tests do.
TOLERANCE: dict[str, Callable[[list[Any]], float]] = {"sqrt": lambda args: float(args[-1])}


def _same(a: Any, b: Any, tolerance: float = 1e-9) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=tolerance)
        except (TypeError, ValueError):
            return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            _same(x, y, tolerance) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _load(program: str, name: str) -> Any:
    namespace: dict[str, Any] = {"__name__": "quixbugs_program"}
    exec(compile(program, PROGRAM, "exec"), namespace)
    return namespace[name]


def _program_line(exc: BaseException) -> int | None:
    """1-based line in the program where the exception was raised (innermost frame there)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == PROGRAM:
            line = frame.lineno
    return line


def _call(fn: Any, args: list[Any]) -> Any:
    signal.alarm(CASE_SECONDS)
    try:
        return _normal(fn(*args))
    finally:
        signal.alarm(0)


def _describe(name: str, args: list[Any]) -> str:
    text = f"{name}({', '.join(repr(a) for a in args)})"
    return text if len(text) <= 120 else text[:117] + "..."


def run(request: dict[str, Any]) -> dict[str, Any]:
    name = request["name"]
    signal.signal(signal.SIGALRM, _alarm)
    sys.setrecursionlimit(3000)
    try:
        fn = _load(request["program"], name)
    except BaseException as exc:
        return {"passed": False, "cases": 0, "failure": {
            "kind": "load", "message": f"{type(exc).__name__}: {exc}",
            "line": getattr(exc, "lineno", None) or _program_line(exc)}}
    reference: Any = None
    checks: list[tuple[list[Any] | None, Any, Callable[[Any], Any] | None]]
    if "cases" in request:
        checks = [(args, expected, None) for args, expected in request["cases"]]
    else:
        reference = _load(request["reference"], name)
        checks = [(None, None, case) for case in GRAPH_CASES[name]]
    failed: list[int] = []
    first: dict[str, Any] | None = None
    for index, (args, expected, case) in enumerate(checks):
        failure = _check(name, fn, index, args, expected, case,
                         reference if case is not None else None)
        if failure is not None:
            failed.append(index)
            first = first or failure
            if not request.get("all"):
                return {"passed": False, "cases": index, "failure": failure}
    return {"passed": not failed, "cases": len(checks), "failure": first, "failed": failed}


def _check(name: str, fn: Any, index: int, args: list[Any] | None, expected: Any,
           case: Callable[[Any], Any] | None, reference: Any) -> dict[str, Any] | None:
    label = _describe(name, args) if args is not None else f"{name} (graph case {index + 1})"
    try:
        if case is not None:
            signal.alarm(CASE_SECONDS)
            try:
                expected = _normal(case(reference))
                got = _normal(case(fn))
            finally:
                signal.alarm(0)
        else:
            got = _call(fn, args or [])
    except CaseTimeout:
        return {"kind": "timeout", "message": f"{label} does not finish", "line": None}
    except BaseException as exc:  # the program's own errors, RecursionError included
        message = str(exc).split("\n")[0][:200]
        return {"kind": "exception", "line": _program_line(exc),
                "message": f"{type(exc).__name__}: {message} (in {label})"}
    tolerance = TOLERANCE[name](args) if name in TOLERANCE and args else 1e-9
    if _same(got, expected, tolerance):
        return None
    return {"kind": "wrong", "line": None,
            "message": f"{label} returned {_short(got)}, expected {_short(expected)}"}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.stdin.read())), default=repr))
