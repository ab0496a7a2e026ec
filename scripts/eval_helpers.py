"""Project helpers for ``make eval``: small repositories where the right line calls a helper
defined in another file, hearth's pipeline vs the naive use of the same model.

Each task is a folder of ``bench/project-helpers``: ``repo/`` (a few files, complete and
correct), ``task.toml`` and a checker. ``task.toml`` names the file being edited, the right
line (present in the file as it is) and what has been typed of it when the completion is
asked for::

    file = "accounts/registry.py"
    line = "    users[name] = normalise_email_address(email)"
    typed = "    users[name] = "
    helper = "normalise_email_address"
    check = ["python", "check.py"]      # or ["node", "check.mjs"]

A few tasks are controls (``control = true``): the file imports a helper for code not written
yet, and the right line does not call it, so a completion pushing helpers everywhere fails
them. They are reported apart.

The repository is copied to a temporary folder with the line cut back to ``typed`` (what the
editor would have on disk too), indexed as the server indexes a workspace, and completed at the
end of ``typed``:

* naive: the file's text before the cursor as the prompt, greedy, the first line;
* hearth: ``CompletionPipeline.complete`` with the workspace index, as the server runs it.

The completion goes in, the rest of the cursor's line is kept, the checker is copied beside the
repository and run there: it passes when it exits with 0 within 3 s. Exact match compares the
completed line with the right one; "called" counts completions that call the helper.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsp_server.context import line_starts_of
from lsp_server.engines.base import CancelToken, Engine, GenerationParams, Prompt
from lsp_server.index import WorkspaceIndex
from lsp_server.languages import language_for_path
from lsp_server.pipeline import CompletionRequest
from lsp_server.workspace_files import FileRules
from scripts.eval_common import ROOT, Models, Score, comparison, run_program, table

TASKS = ROOT / "bench" / "project-helpers"
NAIVE_MAX_TOKENS = 64


@dataclass(frozen=True)
class HelperTask:
    name: str
    folder: Path
    file: str  # relative to repo/
    line: str  # the right line
    typed: str  # its beginning, typed when the completion is asked for
    helper: str
    check: tuple[str, ...]
    control: bool = False  # the helper is imported for code not written yet, not for this line

    @property
    def language_id(self) -> str:
        return language_for_path(self.file)

    def original(self) -> str:
        return (self.folder / "repo" / self.file).read_text(encoding="utf-8")

    def document(self) -> tuple[str, int]:
        """The file with the right line cut back to ``typed``, and the cursor."""
        text = self.original()
        start = _line_index(text, self.line)
        document = text[:start] + self.typed + text[start + len(self.line):]
        return document, start + len(self.typed)

    def completed_line(self, completion: str) -> str:
        return self.typed + completion.split("\n", 1)[0]


def _line_index(text: str, line: str) -> int:
    for start in (i for i in _starts(text)):
        end = text.find("\n", start)
        if text[start:end if end >= 0 else len(text)] == line:
            return start
    raise ValueError(f"the line is not in the file: {line!r}")


def _starts(text: str) -> list[int]:
    return [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]


def load(folder: Path) -> list[HelperTask]:
    tasks = []
    for spec in sorted(folder.glob("*/task.toml")):
        data = tomllib.loads(spec.read_text(encoding="utf-8"))
        task = HelperTask(spec.parent.name, spec.parent, data["file"], data["line"],
                          data["typed"], data["helper"], tuple(data["check"]),
                          bool(data.get("control", False)))
        if not task.line.startswith(task.typed):
            raise ValueError(f"{task.name}: typed is not the beginning of line")
        tasks.append(task)
    return tasks


def passes(task: HelperTask, document: str, cursor: int, completion: str) -> bool:
    """The checker's verdict on the repository with ``completion`` inserted at the cursor."""
    with tempfile.TemporaryDirectory(prefix="hearth-helper-") as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(task.folder / "repo", work)
        (work / task.file).write_text(document[:cursor] + completion + document[cursor:],
                                      encoding="utf-8")
        for checker in task.folder.iterdir():
            if checker.is_file() and checker.name.startswith("check"):
                shutil.copy(checker, work / checker.name)
        argv = list(task.check)
        if argv[0] == "python":
            argv[0] = sys.executable  # the interpreter running the evaluation
        return run_program(argv, cwd=str(work))


def naive_line(engine: Engine, prefix: str) -> str:
    """The file before the cursor, greedy, the rest of the line."""
    params = GenerationParams(max_tokens=NAIVE_MAX_TOKENS, stop_when=lambda t: "\n" in t)
    return engine.generate(Prompt.plain(prefix), params, CancelToken()).text.split("\n")[0]


def hearth_completion(models: Models, task: HelperTask, document: str, cursor: int
                      ) -> tuple[str, Any, float]:
    """The pipeline's completion with the workspace indexed, as the server would give it, and
    how long it took (s; the indexing, done once per workspace by the server, left out)."""
    with tempfile.TemporaryDirectory(prefix="hearth-helper-") as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(task.folder / "repo", work)
        path = work / task.file
        path.write_text(document, encoding="utf-8")  # what the editor's disk holds too
        index = WorkspaceIndex()
        try:
            index.start(FileRules([str(work)]))
            if not index.wait_idle(30):
                raise RuntimeError("the workspace was not indexed in 30 s")
            request = CompletionRequest(
                uri=path.as_uri(), text=document, offset=cursor,
                line_starts=line_starts_of(document), language_id=task.language_id,
                path=task.file)
            pipeline = models.pipeline_with(index)
            began = time.monotonic()
            result = pipeline.complete(request, models.deadline())
            seconds = time.monotonic() - began
        finally:
            index.close()
    return result.text, result, seconds


def compare(models: Models, tasks: list[HelperTask], quiet: bool) -> dict[str, Any]:
    groups = {"helper": [t for t in tasks if not t.control],
              "control": [t for t in tasks if t.control]}
    report: dict[str, Any] = {}
    outcomes: list[dict[str, Any]] = []
    for group, members in groups.items():
        if not members:
            continue
        naive = Score("naive (the file before the cursor, first line, greedy)")
        hearth = Score("hearth pipeline (default settings, workspace indexed)")
        called = {"naive": 0, "hearth": 0}
        by_language: dict[str, list[int]] = {}
        for task in members:
            outcome = _run(models, task)
            outcomes.append(outcome)
            naive.add(outcome["naive_pass"], outcome["naive_exact"], outcome["naive_s"])
            hearth.add(outcome["hearth_pass"], outcome["hearth_exact"], outcome["hearth_s"])
            called["naive"] += task.helper in outcome["naive"]
            called["hearth"] += task.helper in outcome["hearth"]
            counts = by_language.setdefault(task.language_id, [0, 0, 0])
            counts[0] += 1
            counts[1] += outcome["naive_pass"]
            counts[2] += outcome["hearth_pass"]
            if not quiet:
                print(f"  {task.name}: naive {'pass' if outcome['naive_pass'] else 'fail'} "
                      f"{outcome['naive']!r}; hearth {'pass' if outcome['hearth_pass'] else 'fail'}"
                      f" {outcome['hearth']!r}", flush=True)
        total = len(members)
        title = ("Project helpers: the right line calls a helper from another file"
                 if group == "helper" else
                 "Controls: a helper imported for later, the right line does not call it")
        print(comparison(title, naive, hearth, total))
        print(table([["language", "tasks", "naive passes", "hearth passes"]]
                    + [[language, str(n), str(a), str(b)]
                       for language, (n, a, b) in sorted(by_language.items())]))
        print(f"completions calling the helper: naive {called['naive']}, "
              f"hearth {called['hearth']} of {total}", flush=True)
        report[group] = {"tasks": total, "naive": naive.summary(total),
                         "hearth": hearth.summary(total), "called": called,
                         "by_language": by_language}
    report["outcomes"] = outcomes
    return report


def _run(models: Models, task: HelperTask) -> dict[str, Any]:
    document, cursor = task.document()
    began = time.monotonic()
    n_text = naive_line(models.naive, document[:cursor])
    n_seconds = time.monotonic() - began
    h_text, result, h_seconds = hearth_completion(models, task, document, cursor)
    ranked = result.considered
    return {"task": task.name, "naive": n_text, "hearth": h_text,
            "naive_pass": passes(task, document, cursor, n_text),
            "hearth_pass": passes(task, document, cursor, h_text),
            "naive_exact": task.completed_line(n_text) == task.line,
            "hearth_exact": task.completed_line(h_text) == task.line,
            "naive_s": n_seconds, "hearth_s": h_seconds,
            "generate_ms": round(result.generation.total_ms) if result.generation else 0,
            "first_token_ms": round(result.generation.first_token_ms)
            if result.generation else 0,
            "explore_ms": round(ranked.explore_ms) if ranked else 0,
            "score_ms": round(ranked.score_ms) if ranked else 0,
            "candidates": [[c.text, c.score, c.valid, c.origin] for c in ranked.candidates]
            if ranked else []}
