"""Completion quality on HumanEval single-line infilling (``make eval``): hearth's pipeline vs
the naive use of the same model, in one run.

Each task is a function with one line missing. The document is the code before the line, an
empty line with the cursor on it, and the code after it.

* naive: the code before the cursor as the prompt, greedy, the first line of the output;
* pipeline: ``CompletionPipeline.complete`` as the server runs it (context, template, checks,
  suffix-aware ranking, the server's time budget), one line wanted.

A completion passes when ``prompt + line + "\\n" + suffix + test + check(entry_point)`` runs
without error within 3 s (pass@1, greedy); exact match compares the line with the canonical
one. Latency is the wall time of each call. Two smaller measurements follow:

* token healing: the cursor right after the first word of the missing line and its space
  (``return ``, ``for ``), completed greedily with and without healing;
* KV reuse: the missing line typed a few characters at a time, a completion after each, and the
  share of prompt tokens served from the engine's cache.

Usage: .venv/bin/python scripts/eval_completion.py [--limit N] [--seed S] [--threads T]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsp_server.config import Settings  # noqa: E402
from lsp_server.context import line_starts_of  # noqa: E402
from lsp_server.engines.base import CancelToken, Engine, GenerationParams, Prompt  # noqa: E402
from lsp_server.models import embedded_model_path, load_engine  # noqa: E402
from lsp_server.offline import enforce_offline_environment  # noqa: E402
from lsp_server.pipeline import CompletionPipeline, CompletionRequest  # noqa: E402
from lsp_server.prompts import choose_completion_template, completion_templates  # noqa: E402

DEFAULT_BENCH = (ROOT.parent / "shared" / "bench" / "humaneval-infilling"
                 / "HumanEval-SingleLineInfilling.jsonl.gz")
TEST_TIMEOUT_S = 3.0
NAIVE_MAX_TOKENS = 64


@dataclass
class Task:
    task_id: str
    prompt: str
    suffix: str
    canonical: str
    test: str
    entry_point: str

    @property
    def document(self) -> str:
        return self.prompt + "\n" + self.suffix  # the cursor's line is empty

    def passes(self, line: str) -> bool:
        program = (self.prompt + line + "\n" + self.suffix + "\n" + self.test
                   + f"\ncheck({self.entry_point})\n")
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(program)
            path = f.name
        try:
            done = subprocess.run([sys.executable, path], capture_output=True,
                                  timeout=TEST_TIMEOUT_S, cwd=tempfile.gettempdir())
            return done.returncode == 0
        except subprocess.TimeoutExpired:
            return False
        finally:
            os.unlink(path)

    def exact(self, line: str) -> bool:
        return line.rstrip() == self.canonical.rstrip("\n").rstrip()


@dataclass
class Score:
    name: str
    passed: int = 0
    exact: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, task: Task, line: str, seconds: float) -> bool:
        ok = task.passes(line)
        self.passed += ok
        self.exact += task.exact(line)
        self.latencies.append(seconds * 1000)
        return ok

    def row(self, total: int) -> list[str]:
        lat = sorted(self.latencies)
        return [self.name, f"{self.passed / total:.3f}", f"{self.exact / total:.3f}",
                f"{statistics.median(lat):.0f}", f"{lat[int(len(lat) * 0.9)]:.0f}"]


def load_tasks(path: Path, limit: int, seed: int) -> list[Task]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    tasks = [Task(r["task_id"], r["prompt"], r["suffix"], r["canonical_solution"], r["test"],
                  r["entry_point"]) for r in rows]
    if limit and limit < len(tasks):
        picked = sorted(random.Random(seed).sample(range(len(tasks)), limit))
        tasks = [tasks[i] for i in picked]
    return tasks


def naive_line(engine: Engine, prompt: str, heal: bool = False) -> str:
    """Prefix only, greedy, the first line."""
    params = GenerationParams(max_tokens=NAIVE_MAX_TOKENS, stop_when=lambda t: "\n" in t,
                              heal=heal)
    return engine.generate(Prompt.plain(prompt), params, CancelToken()).text.split("\n")[0]


def request_for(task: Task, text: str, offset: int) -> CompletionRequest:
    return CompletionRequest(
        uri=f"file:///humaneval/{task.task_id.replace('/', '_')}.py", text=text, offset=offset,
        line_starts=line_starts_of(text), language_id="python", path="",
        single_line=True)


def pipeline_line(pipeline: CompletionPipeline, task: Task, budget_ms: int) -> tuple[str, Any]:
    request = request_for(task, task.document, len(task.prompt))
    result = pipeline.complete(request, CancelToken(time.monotonic() + budget_ms / 1000))
    return result.text.split("\n")[0], result


def healing_cut(task: Task) -> int:
    """Characters of the canonical line up to its first word and the space after it."""
    line = task.canonical.rstrip("\n")
    body = line.lstrip()
    word = body.split(" ", 1)[0]
    if " " not in body or not word.isidentifier():
        return -1
    return len(line) - len(body) + len(word) + 1


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--limit", type=int, default=200, help="a seeded sample of N tasks "
                        "(0: all 1,033)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=Settings().threads)
    parser.add_argument("--healing", type=int, default=60,
                        help="tasks for the token-healing comparison (0: skip)")
    parser.add_argument("--typing", type=int, default=10,
                        help="tasks for the KV-reuse typing simulation (0: skip)")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument("--search", choices=("off", "checked", "always"), default="checked",
                        help="hearth.suggestionSearch for the pipeline (default: the server's)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    enforce_offline_environment()

    settings = Settings(threads=args.threads)
    tasks = load_tasks(args.bench, args.limit, args.seed)
    model = embedded_model_path()
    print(f"model: {model.name}; {len(tasks)} tasks (seed {args.seed}); "
          f"{args.threads} thread(s); suggestionSearch {args.search}", flush=True)
    settings = replace(settings, model_path=str(model))
    # One engine each, so neither benefits from the other's KV cache.
    naive_engine = load_engine(settings)
    engine = load_engine(settings)
    template = choose_completion_template(completion_templates(), engine.info, engine)
    pipeline = CompletionPipeline(engine, template,
                                  replace(settings, suggestion_search=args.search))
    warm = Prompt.plain("def add(a, b):\n    return a + b\n")
    for e in (naive_engine, engine):
        e.generate(warm, GenerationParams(max_tokens=4), CancelToken())

    naive, hearth = Score("naive (prefix, first line, greedy)"), Score("hearth pipeline")
    outcomes: list[dict[str, Any]] = []
    explored = 0
    for number, task in enumerate(tasks, 1):
        began = time.monotonic()
        n_line = naive_line(naive_engine, task.prompt)
        n_ok = naive.add(task, n_line, time.monotonic() - began)
        began = time.monotonic()
        p_line, result = pipeline_line(pipeline, task, settings.time_budget_ms)
        p_ok = hearth.add(task, p_line, time.monotonic() - began)
        ranked = result.considered
        explored += bool(ranked and ranked.explored)
        outcomes.append({"task": task.task_id, "naive": n_line, "naive_pass": n_ok,
                         "hearth": p_line, "hearth_pass": p_ok, "reason": result.reason,
                         "explored": bool(ranked and ranked.explored),
                         "ms": round(hearth.latencies[-1]),
                         "explore_ms": round(ranked.explore_ms) if ranked else 0,
                         "score_ms": round(ranked.score_ms) if ranked else 0,
                         "candidates": [c.text for c in ranked.candidates] if ranked else []})
        if not args.quiet and number % 20 == 0:
            print(f"  {number}/{len(tasks)}: naive {naive.passed / number:.3f}, "
                  f"hearth {hearth.passed / number:.3f}", flush=True)

    total = len(tasks)
    print()
    print(table([["approach", "pass@1", "exact", "p50 ms", "p90 ms"],
                 naive.row(total), hearth.row(total)]))
    ratio = hearth.passed / naive.passed if naive.passed else float("inf")
    print(f"\npipeline / naive pass@1: {ratio:.2f}x; alternatives explored for "
          f"{explored}/{total} tasks")

    healing = heal_comparison(naive_engine, tasks[:args.healing]) if args.healing else None
    reuse = typing_reuse(pipeline, tasks[:args.typing], settings) if args.typing else None
    if args.json:
        args.json.write_text(json.dumps({
            "tasks": total, "seed": args.seed, "threads": args.threads,
            "naive": naive.row(total), "hearth": hearth.row(total), "ratio": ratio,
            "healing": healing, "kv_reuse": reuse, "outcomes": outcomes}, indent=1))
    return 0


def heal_comparison(engine: Engine, tasks: list[Task]) -> dict[str, float] | None:
    """The cursor after the missing line's first word and its space; greedy rest of the line,
    with and without token healing."""
    cases = [(t, cut) for t in tasks if (cut := healing_cut(t)) > 0]
    if not cases:
        return None
    plain = healed = 0
    for task, cut in cases:
        head = task.canonical[:cut]
        for heal in (False, True):
            rest = naive_line(engine, task.prompt + head, heal=heal)
            ok = task.passes(head + rest)
            if heal:
                healed += ok
            else:
                plain += ok
    n = len(cases)
    print(f"\ntoken healing, cursor after the line's first word and space ({n} tasks): "
          f"pass@1 {plain / n:.3f} without, {healed / n:.3f} with")
    return {"tasks": n, "without": plain / n, "with": healed / n}


def typing_reuse(pipeline: CompletionPipeline, tasks: list[Task],
                 settings: Settings) -> dict[str, float] | None:
    """Type each missing line 3 characters at a time, completing after each step."""
    reused = prompt_tokens = requests = 0
    cold: list[float] = []
    warm: list[float] = []
    for task in tasks:
        line = task.canonical.rstrip("\n")
        for typed in range(0, len(line) + 1, 3):
            text = task.prompt + line[:typed] + "\n" + task.suffix
            request = request_for(task, text, len(task.prompt) + typed)
            began = time.monotonic()
            result = pipeline.complete(request, CancelToken(
                time.monotonic() + settings.time_budget_ms / 1000))
            ms = (time.monotonic() - began) * 1000
            generation = result.generation
            if generation is None:
                continue
            (cold if typed == 0 else warm).append(ms)
            if typed:
                requests += 1
                reused += generation.reused_tokens
                prompt_tokens += generation.prompt_tokens
    if not requests:
        return None
    rate = reused / prompt_tokens
    print(f"KV reuse while typing ({requests} keystroke requests over {len(tasks)} lines): "
          f"{rate:.1%} of prompt tokens from the cache; median {statistics.median(warm):.0f} ms "
          f"per keystroke vs {statistics.median(cold):.0f} ms for the line's first request")
    return {"rate": rate, "requests": requests, "warm_p50_ms": statistics.median(warm),
            "cold_p50_ms": statistics.median(cold)}


if __name__ == "__main__":
    sys.exit(main())
