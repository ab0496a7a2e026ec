"""Test hooks, inert unless their environment variable is set (never, outside tests).

``HEARTH_FAULTS="engine.token=5,worker.job=3"`` makes the 5th generated token raise inside the
engine and the worker thread die as it starts its 3rd job (each check is one failed dictionary
lookup otherwise). ``HEARTH_TRACE_PROMPTS=FILE`` appends every text an engine is given — to
generate from or only to count tokens — to FILE, so tests can prove what never reaches a model.
"""

from __future__ import annotations

import os
import threading


class InjectedFault(RuntimeError):
    """Raised where a test asked for a failure."""


def _parse(spec: str) -> dict[str, int]:
    points: dict[str, int] = {}
    for item in spec.split(","):
        name, _, value = item.partition("=")
        if name.strip() and value.strip().isdigit():
            points[name.strip()] = int(value)
    return points


_POINTS = _parse(os.environ.get("HEARTH_FAULTS", ""))
_counts: dict[str, int] = {}
_lock = threading.Lock()


def hit(point: str) -> bool:
    """Count one pass through ``point``; True on the pass a test asked to fail (once only)."""
    target = _POINTS.get(point)
    if target is None:
        return False
    with _lock:
        _counts[point] = _counts.get(point, 0) + 1
        return _counts[point] == target


_TRACE = os.environ.get("HEARTH_TRACE_PROMPTS", "")


def trace_prompt(text: str) -> None:
    if _TRACE:
        with _lock, open(_TRACE, "a", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text + "\n\x1e\n")  # record separator between prompts


def maybe_raise(point: str) -> None:
    if hit(point):
        raise InjectedFault(f"fault injected at {point}")
