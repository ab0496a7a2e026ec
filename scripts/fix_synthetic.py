"""A second bug-fix set, for tuning the fix search away from QuixBugs: HumanEval's reference
solutions with one bug planted by a seeded draw (``eval_fix.py --set humaneval``).

For each of the first N HumanEval problems (even-numbered ones, as the completion evaluation's
multi-line set uses): the reference solution from the single-line infilling file, one mutation
of its function (assist/mutations.py; a kind drawn first, then a mutation of that kind, so every
bug class is as likely) that makes its tests fail, and the hint a diagnostic would carry (the
exception on the line it was raised in the function, else "the tests fail" on its name). A fix
is plausible when HumanEval's tests pass again.

Planted bugs are of the classes hearth's structural candidates cover, so this set measures how
the search ranks candidates, not which bugs it can reach (QuixBugs measures both).
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsp_server import regions  # noqa: E402
from lsp_server.assist.mutations import mutations  # noqa: E402

DATA = ROOT.parent / "shared" / "bench" / "humaneval-infilling" / \
    "HumanEval-SingleLineInfilling.jsonl.gz"
SEED = 13
CASE_SECONDS = 5

# Runs in a child: the program, then HumanEval's check; prints the first failure as JSON.
_RUNNER = textwrap.dedent('''
    import json, sys, traceback
    source, test, entry = json.loads(sys.stdin.read())
    namespace = {}
    try:
        exec(compile(source, "<program>", "exec"), namespace)
        exec(test, namespace)
        namespace["check"](namespace[entry])
        print(json.dumps({"passed": True}))
    except BaseException as exc:
        line = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == "<program>":
                line = frame.lineno
        kind = "wrong" if isinstance(exc, AssertionError) else "error"
        message = f"{type(exc).__name__}: {exc}"[:200] if kind == "error" else ""
        print(json.dumps({"passed": False, "kind": kind, "line": line, "message": message}))
''')


@dataclass
class SyntheticTask:
    name: str
    program: str  # with the planted bug
    reference: str
    test: str
    entry: str
    planted: str  # what was changed, for the report


def run(program: str, test: str, entry: str) -> dict[str, object]:
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _RUNNER],
                              input=json.dumps([program, test, entry]), capture_output=True,
                              text=True, timeout=CASE_SECONDS)
        result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        return result
    except subprocess.TimeoutExpired:
        return {"passed": False, "kind": "timeout", "line": None, "message": ""}
    except (json.JSONDecodeError, IndexError):
        return {"passed": False, "kind": "crash", "line": None, "message": ""}


def load(count: int, seed: int = SEED) -> list[SyntheticTask]:
    with gzip.open(DATA, "rt") as lines:
        rows = [json.loads(line) for line in lines]
    seen: set[str] = set()
    tasks: list[SyntheticTask] = []
    draw = random.Random(seed)
    for row in rows:
        number = int(row["task_id"].split("/")[2])
        if number % 2 or row["task_id"].split("/")[2] in seen:
            continue
        seen.add(row["task_id"].split("/")[2])
        full = row["prompt"] + row["canonical_solution"] + row["suffix"]
        program = full.split("\n\nMETADATA")[0].split("\n\ndef check(")[0].rstrip() + "\n"
        entry = row["entry_point"]
        task = _plant(program, row["test"], entry, f"HumanEval/{number}", draw)
        if task is not None:
            tasks.append(task)
        if len(tasks) >= count:
            break
    return tasks


def _plant(program: str, test: str, entry: str, name: str, draw: random.Random
           ) -> SyntheticTask | None:
    start = program.find(f"def {entry}(")
    if start < 0 or not run(program, test, entry).get("passed"):
        return None
    region = regions.function_region(program, "python", start + 4)
    if region is None:
        return None
    body = program.index('"""', program.index('"""', start) + 3) + 3 \
        if '"""' in program[start:region.end] else start  # after the docstring
    found = [m for m in mutations(program, "python", region.start, region.end)
             if m.start > body]
    kinds = sorted({m.kind for m in found})
    draw.shuffle(kinds)
    for kind in kinds:
        pool = [m for m in found if m.kind == kind]
        draw.shuffle(pool)
        for mutation in pool[:3]:
            buggy = mutation.apply(program)
            if not run(buggy, test, entry).get("passed"):
                old = program[mutation.start:mutation.end]
                return SyntheticTask(name, buggy, program, test, entry,
                                     f"{mutation.kind}: {old!r} → {mutation.text!r}")
    return None
