"""Bug-fix evaluation on QuixBugs (``make eval-fix``): plausible fixes out of 40, median time.

For each program (one wrong line each):

1. Run the buggy program's test cases. The first failing case becomes the hint a diagnostic
   would carry: its message (the exception, or "f(x) returned A, expected B", or "does not
   finish"), on the line the exception was raised in the function, else on the function's name.
2. hearth: resolve the fix through the code path the server's ``codeAction/resolve`` uses
   (``Assistant.fix_session`` on the same region, the same prompts and post-processing), apply
   the edits.
3. Naive: the same model, the buggy program and the hint followed by "Fixed code:", the function
   it writes replacing the old one.
4. Run the test cases on both results (child processes, a few seconds per case). A fix is
   *plausible* when every case passes.

Test cases the reference program itself cannot pass in time (a few exponential ones) are left
out; the graph programs, which come without JSON cases, run the cases in quixbugs_runner.py
against the reference program's answers.

Usage: .venv/bin/python scripts/eval_fix.py [--limit N] [--only NAME,...] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsp_server import regions  # noqa: E402
from lsp_server.assist import Assistant, FixRequest, FixResult, Problem  # noqa: E402
from lsp_server.config import FIX_METHODS, Settings  # noqa: E402
from lsp_server.engines.base import (  # noqa: E402
    CancelToken,
    Engine,
    GenerationParams,
    Prompt,
)
from lsp_server.models import load_engine  # noqa: E402
from lsp_server.offline import enforce_offline_environment  # noqa: E402
from scripts import fix_synthetic  # noqa: E402
from scripts.fix_synthetic import SyntheticTask  # noqa: E402

DEFAULT_BENCH = ROOT.parent / "shared" / "bench" / "quixbugs"
RUNNER = Path(__file__).resolve().parent / "quixbugs_runner.py"
NAIVE_MAX_TOKENS = 384


@dataclass
class Task:
    name: str
    program: str  # the buggy program, as a user's file
    reference: str
    cases: list[Any] | None  # JSON cases, or None for the graph programs

    def request(self, program: str, all_cases: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "program": program, "all": all_cases}
        if self.cases is not None:
            data["cases"] = self.cases
        else:
            data["reference"] = self.reference
        return data


@dataclass
class Outcome:
    name: str
    hint: str = ""
    hint_line: int = 0
    hearth_reason: str = ""
    hearth_passed: bool = False
    hearth_ms: float = 0.0
    hearth_diff: str = ""
    naive_passed: bool = False
    naive_ms: float = 0.0
    naive_diff: str = ""
    dropped_cases: int = 0
    notes: list[str] = field(default_factory=list)


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run_tests(task: Task | SyntheticTask, program: str, all_cases: bool = False
              ) -> dict[str, Any]:
    """The runner's verdict for ``program`` (a crash or hang of the child is a failure)."""
    if isinstance(task, SyntheticTask):
        verdict = fix_synthetic.run(program, task.test, task.entry)
        message = {"wrong": "returns wrong results (an assertion of its tests fails)",
                   "timeout": "does not finish"}.get(str(verdict.get("kind")),
                                                     str(verdict.get("message", "")))
        return {"passed": bool(verdict.get("passed")),
                "failure": {"message": message, "line": verdict.get("line")}}
    cases = len(task.cases) if task.cases is not None else 8
    try:
        done = subprocess.run(
            [sys.executable, "-I", str(RUNNER)], input=json.dumps(task.request(program, all_cases)),
            capture_output=True, text=True, timeout=10 + 4 * cases, preexec_fn=_limits)
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result
    except (subprocess.TimeoutExpired, json.JSONDecodeError, IndexError) as exc:
        return {"passed": False, "failure": {"kind": "crash", "message": repr(exc)[:200],
                                             "line": None}}


def load_tasks(bench: Path) -> list[Task]:
    tasks = []
    for line in (bench / "quixbugs_python.jsonl").read_text().splitlines():
        row = json.loads(line)
        cases = None
        if row.get("json_testcases"):
            cases = [json.loads(c) for c in (bench / row["json_testcases"]).read_text()
                     .splitlines() if c.strip()]
        tasks.append(Task(row["name"], row["buggy_program"], row["correct_program"], cases))
    return tasks


def calibrate(task: Task | SyntheticTask) -> int:
    """Drop the JSON cases the reference program fails (too slow); return how many."""
    if isinstance(task, SyntheticTask) or task.cases is None:
        return 0
    verdict = run_tests(task, task.reference, all_cases=True)
    failed = set(verdict.get("failed", []))
    task.cases = [case for index, case in enumerate(task.cases) if index not in failed]
    return len(failed)


def function_span(task: Task | SyntheticTask) -> tuple[int, int, regions.Region]:
    """The function's name (start, end) and its region in the buggy program."""
    name = task.entry if isinstance(task, SyntheticTask) else task.name
    match = re.search(rf"^\s*def ({re.escape(name)})\(", task.program, re.M)
    if match is None:
        raise ValueError(f"{name}: no def")
    region = regions.function_region(task.program, "python", match.start(1))
    assert region is not None
    return match.start(1), match.end(1), region


def hint_for(task: Task | SyntheticTask) -> Problem:
    verdict = run_tests(task, task.program)
    failure = verdict.get("failure") or {}
    message = failure.get("message") or "returns wrong results"
    name_start, name_end, region = function_span(task)
    line = failure.get("line")
    starts = [0] + [m.end() for m in re.finditer("\n", task.program)]
    if isinstance(line, int) and 1 <= line <= len(starts):
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(task.program)
        if region.start <= start <= region.end:
            text = task.program[start:end]
            start += len(text) - len(text.lstrip())
            return Problem(message, start, end, "tests")
    return Problem(message, name_start, name_end, "tests")


def hearth_fix(assistant: Assistant, task: Task | SyntheticTask, problem: Problem
               ) -> tuple[str | None, FixResult]:
    request = FixRequest(text=task.program, start=problem.start, end=problem.end,
                         language_id="python", path=f"{task.name.replace('/', '_')}.py",
                         problems=(problem,))
    session = assistant.fix_session(request)
    while not session.advance(CancelToken()):
        pass
    result = session.result()
    if not result.ok:
        return None, result
    return regions.apply_edits(task.program, list(result.edits)), result


def naive_fix(engine: Engine, task: Task | SyntheticTask, problem: Problem
              ) -> tuple[str | None, float]:
    """The obvious prompt: the program, the problem, "Fixed code:", take the function."""
    start = time.monotonic()
    prompt = f"{task.program.rstrip()}\n\n# The code above has a bug: {problem.message}\n" \
             f"# Fixed code:\n"
    generation = engine.generate(Prompt.plain(prompt), GenerationParams(
        max_tokens=NAIVE_MAX_TOKENS, stop=("\n\n\n",)), CancelToken())
    elapsed = (time.monotonic() - start) * 1000
    text = generation.text
    name = task.entry if isinstance(task, SyntheticTask) else task.name
    match = re.search(rf"^def {re.escape(name)}\(", text, re.M)
    if match is None:
        return None, elapsed
    lines = text[match.start():].split("\n")
    body = [lines[0]]
    for line in lines[1:]:
        if line.strip() and not line.startswith((" ", "\t")):
            break
        body.append(line)
    _, _, region = function_span(task)
    fixed = task.program[:region.start] + "\n".join(body).rstrip() + task.program[region.end:]
    return fixed, elapsed


def short_diff(before: str, after: str | None) -> str:
    if after is None:
        return ""
    old = before.split("\n")
    new = after.split("\n")
    import difflib

    lines = [line for line in difflib.unified_diff(old, new, lineterm="", n=0)
             if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    return " | ".join(lines)[:300]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--set", choices=("quixbugs", "humaneval"), default="quixbugs",
                        help="QuixBugs, or HumanEval solutions with a planted bug "
                             "(fix_synthetic.py)")
    parser.add_argument("--count", type=int, default=40, help="--set humaneval: how many")
    parser.add_argument("--limit", type=int, default=0, help="only the first N programs")
    parser.add_argument("--only", default="", help="comma-separated program names")
    parser.add_argument("--model", default="", help="GGUF file (default: the embedded model)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--prompts-dir", default="", help="a folder with fix.toml to try")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive prompt")
    parser.add_argument("--method", choices=FIX_METHODS, default="auto",
                        help="how hearth finds fixes (hearth.fixMethod)")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    args = parser.parse_args()
    enforce_offline_environment()

    tasks: list[Task | SyntheticTask] = [*load_tasks(args.bench)] \
        if args.set == "quixbugs" else [*fix_synthetic.load(args.count)]
    if args.only:
        wanted = set(args.only.split(","))
        tasks = [t for t in tasks if t.name in wanted]
    if args.limit:
        tasks = tasks[: args.limit]
    settings = Settings(model_path=args.model, threads=args.threads, prompts_dir=args.prompts_dir,
                        fix_method=args.method)
    engine = load_engine(settings)
    assistant = Assistant(engine, settings)
    print(f"model: {engine.info.name or engine.info.path} ({engine.info.engine}, "
          f"{args.threads} thread{'s' if args.threads > 1 else ''}); "
          f"prompt style: {'chat' if engine.info.chat_template else 'completion'}; "
          f"fixes: {'search' if assistant.searches_fixes else 'rewrite'}",
          flush=True)

    outcomes: list[Outcome] = []
    for task in tasks:
        outcome = Outcome(task.name)
        outcome.dropped_cases = calibrate(task)
        problem = hint_for(task)
        outcome.hint = problem.message
        outcome.hint_line = task.program.count("\n", 0, problem.start) + 1
        fixed, result = hearth_fix(assistant, task, problem)
        outcome.hearth_reason = result.reason
        outcome.hearth_ms = result.total_ms
        outcome.hearth_diff = short_diff(task.program, fixed)
        outcome.hearth_passed = fixed is not None and bool(run_tests(task, fixed)["passed"])
        if not args.no_naive:
            naive, outcome.naive_ms = naive_fix(engine, task, problem)
            outcome.naive_diff = short_diff(task.program, naive)
            outcome.naive_passed = naive is not None and bool(run_tests(task, naive)["passed"])
        outcomes.append(outcome)
        print(f"{task.name:28} hearth {'PASS' if outcome.hearth_passed else 'fail'} "
              f"({outcome.hearth_reason}, {outcome.hearth_ms:.0f} ms)"
              + ("" if args.no_naive else
                 f"  naive {'PASS' if outcome.naive_passed else 'fail'} "
                 f"({outcome.naive_ms:.0f} ms)")
              + f"  hint@{outcome.hint_line}: {outcome.hint[:60]}"
              + (f"\n{'':28} hearth: {outcome.hearth_diff}" if outcome.hearth_diff else ""),
              flush=True)

    total = len(outcomes)
    hearth_ok = sum(o.hearth_passed for o in outcomes)
    print()
    print(f"hearth quick fix: {hearth_ok}/{total} plausible, median "
          f"{statistics.median(o.hearth_ms for o in outcomes):.0f} ms per fix "
          f"(edits proposed: {sum(o.hearth_reason == 'ok' for o in outcomes)}/{total})")
    if not args.no_naive:
        naive_ok = sum(o.naive_passed for o in outcomes)
        print(f"naive prompt:     {naive_ok}/{total} plausible, median "
              f"{statistics.median(o.naive_ms for o in outcomes):.0f} ms per fix")
    reasons: dict[str, int] = {}
    for o in outcomes:
        reasons[o.hearth_reason] = reasons.get(o.hearth_reason, 0) + 1
    print("hearth outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
