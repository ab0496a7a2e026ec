"""Explanation check (``make eval-explain``): do explanations state what the code does?

scripts/data/explain_checks.toml holds small functions, some with a planted bug, each with the
facts a correct explanation must state and the patterns that show it did (simple regular
expressions, case-insensitive, over the explanation without its title). For each function:

1. hearth: the explanation the server's ``hearth.explain`` command gives (``Assistant.explain``
   on the function, the same prompts and post-processing), in English; counted as a whole and
   for the model's own text alone (the part before the facts read from the syntax tree);
2. naive: the same model given the code followed by "# Explanation of the code above:" and
   "# This function", greedy, the same token limit, stopped at the first blank line.

Both in the same run. Usage: .venv/bin/python scripts/eval_explain.py [--only NAME,...]
[--locale LL] [--json OUT] [--show]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsp_server.assist import Assistant, ExplainRequest  # noqa: E402
from lsp_server.assist.explain import fact_templates  # noqa: E402
from lsp_server.config import Settings  # noqa: E402
from lsp_server.engines.base import CancelToken, Engine, GenerationParams, Prompt  # noqa: E402
from lsp_server.languages import comment_marker  # noqa: E402
from lsp_server.models import load_engine  # noqa: E402
from lsp_server.offline import enforce_offline_environment  # noqa: E402

CHECKS = Path(__file__).resolve().parent / "data" / "explain_checks.toml"


@dataclass
class Check:
    name: str
    language: str
    bug: str
    code: str
    facts: list[tuple[str, list[re.Pattern[str]]]]

    def stated(self, text: str) -> list[bool]:
        return [any(p.search(text) for p in patterns) for _, patterns in self.facts]


@dataclass
class Outcome:
    name: str
    hearth: list[bool] = field(default_factory=list)
    hearth_model: list[bool] = field(default_factory=list)
    naive: list[bool] = field(default_factory=list)
    hearth_ms: float = 0.0
    naive_ms: float = 0.0
    hearth_text: str = ""
    naive_text: str = ""


def load_checks(path: Path = CHECKS) -> list[Check]:
    data = tomllib.loads(path.read_text())
    checks = []
    for entry in data["function"]:
        facts = [(str(f["fact"]), [re.compile(p, re.I) for p in f["patterns"]])
                 for f in entry["facts"]]
        checks.append(Check(entry["name"], entry["language"], entry["bug"],
                            entry["code"].lstrip("\n"), facts))
    return checks


def hearth_explain(assistant: Assistant, check: Check, locale: str) -> tuple[str, str, float]:
    """The explanation's body (title left out), its model-written part, and the time taken."""
    start = check.code.index(check.name)
    result = assistant.explain(ExplainRequest(check.code, start, start, check.language,
                                              f"example.{_extension(check.language)}", locale),
                               CancelToken())
    body = result.markdown.partition("\n\n")[2]
    headings = fact_templates(assistant.explain_prompt, locale)
    cut = min((body.find(f"**{headings[k]}**") for k in ("heading_does", "heading_wrong")
               if f"**{headings.get(k, '')}**" in body), default=len(body))
    return body, body[:cut], result.total_ms


def naive_explain(engine: Engine, check: Check, max_tokens: int) -> tuple[str, float]:
    comment = comment_marker(check.language)
    prompt = f"{check.code.rstrip()}\n\n{comment} Explanation of the code above:\n" \
             f"{comment} This function"
    started = time.monotonic()
    generation = engine.generate(Prompt.plain(prompt), GenerationParams(
        max_tokens=max_tokens, stop=("\n\n",)), CancelToken())
    text = "This function" + generation.text
    return text, (time.monotonic() - started) * 1000


def _extension(language: str) -> str:
    return {"python": "py", "javascript": "js", "typescript": "ts"}.get(language, "txt")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=Path, default=CHECKS)
    parser.add_argument("--only", default="", help="comma-separated function names")
    parser.add_argument("--model", default="", help="GGUF file (default: the embedded model)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--prompts-dir", default="", help="a folder with explain.toml to try")
    parser.add_argument("--locale", default="en", help="hearth's answer language (the "
                        "patterns are English: other locales count code-only facts)")
    parser.add_argument("--no-naive", action="store_true")
    parser.add_argument("--show", action="store_true", help="print every explanation")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    args = parser.parse_args()
    enforce_offline_environment()

    checks = load_checks(args.checks)
    if args.only:
        wanted = set(args.only.split(","))
        checks = [c for c in checks if c.name in wanted]
    settings = Settings(model_path=args.model, threads=args.threads,
                        prompts_dir=args.prompts_dir)
    engine = load_engine(settings)
    assistant = Assistant(engine, settings)
    print(f"model: {engine.info.name or engine.info.path} ({engine.info.engine}, "
          f"{args.threads} thread{'s' if args.threads > 1 else ''}); "
          f"{len(checks)} functions, {sum(len(c.facts) for c in checks)} facts, "
          f"{sum(bool(c.bug) for c in checks)} with a planted bug", flush=True)
    outcomes: list[Outcome] = []
    for check in checks:
        outcome = Outcome(check.name)
        body, model_part, outcome.hearth_ms = hearth_explain(assistant, check, args.locale)
        outcome.hearth, outcome.hearth_model = check.stated(body), check.stated(model_part)
        outcome.hearth_text = body
        if not args.no_naive:
            text, outcome.naive_ms = naive_explain(engine, check,
                                                   settings.explain_max_tokens)
            outcome.naive, outcome.naive_text = check.stated(text), text
        outcomes.append(outcome)
        total = len(check.facts)
        print(f"{check.name:16} hearth {sum(outcome.hearth)}/{total} "
              f"(model's text {sum(outcome.hearth_model)}/{total}, "
              f"{outcome.hearth_ms:.0f} ms)"
              + ("" if args.no_naive else
                 f"  naive {sum(outcome.naive)}/{total} ({outcome.naive_ms:.0f} ms)")
              + (f"  [bug: {check.bug}]" if check.bug else ""), flush=True)
        if args.show:
            print(f"--- hearth:\n{body}\n--- naive:\n{outcome.naive_text}\n", flush=True)

    facts = sum(len(c.facts) for c in checks)
    buggy = [o for o, c in zip(outcomes, checks, strict=True) if c.bug]
    bug_facts = sum(len(c.facts) for c in checks if c.bug)

    def line(label: str, values: list[list[bool]], values_bug: list[list[bool]],
             times: list[float]) -> str:
        return (f"{label:34} {sum(map(sum, values))}/{facts} facts stated "
                f"({sum(map(sum, values_bug))}/{bug_facts} on the {len(buggy)} planted bugs), "
                f"median {statistics.median(times):.0f} ms")

    print()
    print(line("hearth (whole explanation)", [o.hearth for o in outcomes],
               [o.hearth for o in buggy], [o.hearth_ms for o in outcomes]))
    print(line("hearth (the model's text alone)", [o.hearth_model for o in outcomes],
               [o.hearth_model for o in buggy], [o.hearth_ms for o in outcomes]))
    if not args.no_naive:
        print(line("naive prompt", [o.naive for o in outcomes], [o.naive for o in buggy],
                   [o.naive_ms for o in outcomes]))
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1,
                                        default=_plain))
    return 0


def _plain(value: Any) -> Any:
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
