"""HumanEval infilling for ``make eval``: single-line and multi-line holes, hearth's pipeline vs
the naive use of the same model, in one run.

Each task is a function with one or several lines missing. The document is the code before the
hole, an empty line with the cursor on it, and the code after it.

* naive: the code before the cursor as the prompt, greedy; for one line its first line, for a
  hole the lines up to a blank line or the next top-level statement;
* hearth: ``CompletionPipeline.complete`` as the server runs it (context, template, checks,
  suffix-aware ranking, the server's time budget); one line wanted for the single-line set
  (``single_line``, as a client showing one line asks), as many as it decides for holes.

A completion passes when ``prompt + completion + "\\n" + suffix + test + check(entry_point)``
runs without error within 3 s (pass@1, greedy); exact match compares it with the canonical
lines. Latency is the wall time of each call.
"""

from __future__ import annotations

import gzip
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsp_server.context import line_starts_of
from lsp_server.engines.base import CancelToken, Engine, GenerationParams, Prompt
from lsp_server.pipeline import CompletionRequest, CompletionResult
from scripts.eval_common import ROOT, Models, Score, comparison, run_python_source

BENCH = ROOT.parent / "shared" / "bench" / "humaneval-infilling"
SINGLE_LINE = BENCH / "HumanEval-SingleLineInfilling.jsonl.gz"
MULTI_LINE = BENCH / "HumanEval-MultiLineInfilling-even.jsonl.gz"
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

    def passes(self, fill: str) -> bool:
        return run_python_source(self.prompt + fill + "\n" + self.suffix + "\n" + self.test
                                 + f"\ncheck({self.entry_point})\n")

    def exact(self, fill: str) -> bool:
        want = [line.rstrip() for line in self.canonical.rstrip("\n").split("\n")]
        return [line.rstrip() for line in fill.split("\n")] == want


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


def naive_block(engine: Engine, prompt: str) -> str:
    """Prefix only, greedy, the lines up to a blank line or the next top-level statement."""
    params = GenerationParams(max_tokens=NAIVE_MAX_TOKENS,
                              stop_when=lambda t: len(_block_lines(t)) < t.count("\n"))
    return "\n".join(_block_lines(engine.generate(Prompt.plain(prompt), params,
                                                  CancelToken()).text))


def _block_lines(text: str) -> list[str]:
    kept: list[str] = []
    for index, line in enumerate(text.split("\n")):
        if not line.strip() or (index and not line[:1].isspace()):
            break
        kept.append(line.rstrip())
    return kept


def request_for(task: Task, text: str, offset: int, single_line: bool) -> CompletionRequest:
    return CompletionRequest(
        uri=f"file:///humaneval/{task.task_id.replace('/', '_')}.py", text=text, offset=offset,
        line_starts=line_starts_of(text), language_id="python", path="",
        single_line=single_line)


def pipeline_fill(models: Models, task: Task, single_line: bool
                  ) -> tuple[str, CompletionResult]:
    request = request_for(task, task.document, len(task.prompt), single_line)
    result = models.pipeline.complete(request, models.deadline())
    return (result.text.split("\n")[0] if single_line else result.text), result


def compare(models: Models, tasks: list[Task], title: str, single_line: bool,
            quiet: bool) -> dict[str, Any]:
    """naive and hearth on each task, one after the other; the table and every outcome."""
    naive = Score("naive (prefix, " + ("first line" if single_line else
                                       "up to a blank line or top-level statement")
                  + ", greedy)")
    hearth = Score("hearth pipeline (default settings)")
    outcomes: list[dict[str, Any]] = []
    explored = 0
    for number, task in enumerate(tasks, 1):
        began = time.monotonic()
        n_fill = naive_line(models.naive, task.prompt) if single_line else \
            naive_block(models.naive, task.prompt)
        n_seconds = time.monotonic() - began
        n_ok = task.passes(n_fill)
        naive.add(n_ok, task.exact(n_fill), n_seconds)
        began = time.monotonic()
        h_fill, result = pipeline_fill(models, task, single_line)
        h_seconds = time.monotonic() - began
        h_ok = task.passes(h_fill)
        hearth.add(h_ok, task.exact(h_fill), h_seconds)
        ranked = result.considered
        explored += bool(ranked and ranked.explored)
        outcomes.append({"task": task.task_id, "naive": n_fill, "naive_pass": n_ok,
                         "hearth": h_fill, "hearth_pass": h_ok, "reason": result.reason,
                         "explored": bool(ranked and ranked.explored),
                         "ms": round(h_seconds * 1000),
                         "first_token_ms": round(result.generation.first_token_ms)
                         if result.generation else 0,
                         "stop": result.generation.stop_reason if result.generation else "",
                         "explore_ms": round(ranked.explore_ms) if ranked else 0,
                         "score_ms": round(ranked.score_ms) if ranked else 0,
                         "candidates": [[c.text, c.score, c.valid] for c in ranked.candidates]
                         if ranked else []})
        if not quiet and number % 20 == 0:
            print(f"  {number}/{len(tasks)}: naive {naive.passed / number:.3f}, "
                  f"hearth {hearth.passed / number:.3f}", flush=True)
    total = len(tasks)
    print(comparison(title, naive, hearth, total))
    print(f"alternatives explored for {explored}/{total} tasks", flush=True)
    return {"tasks": total, "naive": naive.summary(total), "hearth": hearth.summary(total),
            "explored": explored, "outcomes": outcomes}


def healing_cut(task: Task) -> int:
    """Characters of the canonical line up to its first word and the space after it."""
    line = task.canonical.rstrip("\n")
    body = line.lstrip()
    word = body.split(" ", 1)[0]
    if " " not in body or not word.isidentifier():
        return -1
    return len(line) - len(body) + len(word) + 1


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


def typing_reuse(models: Models, tasks: list[Task]) -> dict[str, float] | None:
    """Type each missing line 3 characters at a time, completing after each step."""
    reused = prompt_tokens = requests = 0
    cold: list[float] = []
    warm: list[float] = []
    complete: Callable[[CompletionRequest, CancelToken], CompletionResult] = \
        models.pipeline.complete
    for task in tasks:
        line = task.canonical.rstrip("\n")
        for typed in range(0, len(line) + 1, 3):
            text = task.prompt + line[:typed] + "\n" + task.suffix
            request = request_for(task, text, len(task.prompt) + typed, single_line=True)
            began = time.monotonic()
            result = complete(request, models.deadline())
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
