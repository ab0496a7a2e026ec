"""Completion quality (``make eval``): hearth's pipeline vs the naive use of the same model, every
figure measured in the same run.

1. HumanEval single-line infilling, a seeded sample (``eval_humaneval``);
2. HumanEval multi-line infilling (holes of 1-n lines from the even-numbered problems), a
   seeded sample;
3. project helpers: small repositories where the right line calls a helper defined in another
   file, Python and JavaScript (``eval_helpers``, tasks in bench/project-helpers);
4. two parts of the pipeline on their own: token healing (the cursor after the missing line's
   first word and its space, greedy with and without healing) and KV reuse (the missing line
   typed a few characters at a time, a completion after each, the share of prompt tokens
   served from the engine's cache).

The machine's load average is printed before and after: the pipeline runs under the server's
time budget (``--budget-ms``), so a busy machine lowers its pass@1.

Usage: .venv/bin/python scripts/eval_completion.py [--limit N] [--multi-limit N] [--seed S]
       [--threads T] [--budget-ms MS] [--only single,multi,helpers,healing,typing] [--json F]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsp_server.config import Settings
from lsp_server.offline import enforce_offline_environment
from scripts import eval_helpers, eval_humaneval
from scripts.eval_common import load_models, machine_load

SECTIONS = ("single", "multi", "helpers", "healing", "typing")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=200,
                        help="single-line: a seeded sample of N tasks (0: all 1,033)")
    parser.add_argument("--multi-limit", type=int, default=200,
                        help="multi-line: a seeded sample of N holes (0: all 2,233)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=Settings().threads)
    parser.add_argument("--budget-ms", type=int, default=Settings().time_budget_ms,
                        help="hearth.timeBudgetMs for the pipeline (default: the server's)")
    parser.add_argument("--search", choices=("off", "checked", "always"), default="checked",
                        help="hearth.suggestionSearch for the pipeline (default: the server's)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help="comma-separated parts to run: " + ", ".join(SECTIONS))
    parser.add_argument("--healing", type=int, default=60,
                        help="tasks for the token-healing comparison")
    parser.add_argument("--typing", type=int, default=10,
                        help="tasks for the KV-reuse typing simulation")
    parser.add_argument("--helpers", type=Path, default=eval_helpers.TASKS,
                        help="the project-helper tasks")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    wanted = {part.strip() for part in args.only.split(",") if part.strip()}
    if wanted - set(SECTIONS):
        parser.error(f"unknown parts: {', '.join(sorted(wanted - set(SECTIONS)))}")
    enforce_offline_environment()

    settings = replace(Settings(threads=args.threads), time_budget_ms=args.budget_ms,
                       suggestion_search=args.search)
    models = load_models(settings)
    print(f"model: {Path(models.settings.model_path).name}; {args.threads} thread(s); "
          f"timeBudgetMs {args.budget_ms}; suggestionSearch {args.search}; seed {args.seed}")
    print(f"before: {machine_load()}", flush=True)
    began = time.monotonic()
    report: dict[str, Any] = {"seed": args.seed, "threads": args.threads,
                              "budget_ms": args.budget_ms, "load_before": machine_load()}
    single = eval_humaneval.load_tasks(eval_humaneval.SINGLE_LINE, args.limit, args.seed)
    if "single" in wanted:
        report["single"] = eval_humaneval.compare(
            models, single, "HumanEval single-line infilling", True, args.quiet)
    if "multi" in wanted:
        holes = eval_humaneval.load_tasks(eval_humaneval.MULTI_LINE, args.multi_limit,
                                          args.seed)
        report["multi"] = eval_humaneval.compare(
            models, holes, "HumanEval multi-line infilling", False, args.quiet)
    if "helpers" in wanted:
        report["helpers"] = eval_helpers.compare(models, eval_helpers.load(args.helpers),
                                                 args.quiet)
    if "healing" in wanted and args.healing:
        report["healing"] = eval_humaneval.heal_comparison(models.naive, single[:args.healing])
    if "typing" in wanted and args.typing:
        report["kv_reuse"] = eval_humaneval.typing_reuse(models, single[:args.typing])
    report["load_after"] = machine_load()
    print(f"\nafter: {machine_load()}; {time.monotonic() - began:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
