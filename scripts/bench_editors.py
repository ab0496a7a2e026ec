"""Ghost text as a user sees it: milliseconds from the last keystroke to the suggestion drawn, in
headless Neovim 0.12 (the plugin in editors/nvim) and in VS Code (the VSIX in code-server, in
Chromium), one after the other in one run, on the same file and keystrokes, each editor with its
own debounce. Default model: the embedded Gemma 3 270M. Also where the time goes: the editor's
debounce (last key → request sent), the request (sent → answer back), drawing (answer → shown),
and, from the server's own figures (Neovim run), its queue and the model.

    .venv/bin/python -m scripts.bench_editors [--samples N] [--threads N] [--model FILE] [--json F]

Needs `make install` (Neovim 0.12) and `make workbench` (code-server, Chromium).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from lsp_server.models import embedded_model_path
from tests.editors.conftest import NVIM_012, nvim_version, run_nvim
from tests.editors.workbench import Workbench, build_vsix, find_tools

FILE = "shapes.py"
TEXT = "\n".join([
    "def area(width, height):", "    return width", "",
    "def perimeter(width, height):", "    return 2 * (width", "",
    "def mean(values):", "    return sum(values)", "",
    "def square(x):", "    return x", "",
    "def cube(x):", "    return x * x", "",
])
# (line, keys typed at its end): the last key is the one timed
CASES = [(2, " *"), (5, " +"), (8, " /"), (11, " *"), (14, " *")]


def bench_cases() -> dict[str, Any]:
    lines = TEXT.split("\n")
    return {"file": FILE, "text": TEXT,
            "cases": [{"line": line, "keys": keys, "original": lines[line - 1]}
                      for line, keys in CASES]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def neovim(model: Path, samples: int, threads: int, work: Path) -> dict[str, Any]:
    os.environ.update(HEARTH_BENCH_CASES=json.dumps(bench_cases()), HEARTH_SAMPLES=str(samples),
                      HEARTH_THREADS=str(threads))
    run = run_nvim(NVIM_012, "bench_ghost", model, work, timeout=1800)
    if not run.ok:
        raise RuntimeError(run.report)
    return {"editor": nvim_version(NVIM_012), "samples": run.facts["samples"]}


_LOG_TIME = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})"


def _log_ms(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp() * 1000


def vscode(model: Path, samples: int, threads: int, work: Path) -> dict[str, Any]:
    tools = find_tools()
    if isinstance(tools, str):
        raise RuntimeError(tools)
    vsix = build_vsix(work / "hearth-lsp.vsix")
    workbench = Workbench(
        tools, work / "vscode", vsix,
        user={"hearth.threads": threads},
        machine={"hearth.launch.command": [sys.executable, "-m", "lsp_server", "serve"],
                 "hearth.modelPath": str(model)},
        files={FILE: TEXT}, artifacts=work / "vscode-driver")
    with workbench:
        result = workbench.drive({"mode": "bench", "samples": samples, "bench": bench_cases()},
                                 timeout=1800)
        log = workbench.extension_log()
    if not result["ok"]:
        raise RuntimeError(f"{result['error']}\nscreenshots: {result['screenshots']}")
    sent = {m[2]: _log_ms(m[1]) for m in re.finditer(
        _LOG_TIME + r" \[trace\] Sending request 'textDocument/inlineCompletion - \((\d+)\)'", log)}
    answered = {m[2]: _log_ms(m[1]) for m in re.finditer(
        _LOG_TIME + r" \[trace\] Received response 'textDocument/inlineCompletion - \((\d+)\)'",
        log)}
    rows = []
    for sample in result["facts"]["samples"]:
        # the request behind the ghost text: the last one sent after the key and answered
        # before the ghost text was drawn
        ids = [i for i, at in sent.items() if sample["keyAt"] <= at <= sample["drawnAt"]
               and i in answered]
        row = {"ms": sample["ms"], "ghost": sample["ghost"], "requests": len(ids)}
        if ids:
            last = max(ids, key=lambda i: sent[i])
            row.update(debounce=sent[last] - sample["keyAt"],
                       request=answered[last] - sent[last],
                       drawing=sample["drawnAt"] - answered[last])
        rows.append(row)
    version = re.search(r"code-server (\d[\d.]*)", workbench.log_tail(100000))
    return {"editor": f"VS Code (code-server {version[1] if version else '?'})",
            "samples": rows, "traced": bool(sent)}


def _column(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in rows if isinstance(r.get(key), int | float)]


def report(results: list[dict[str, Any]], threads: int) -> str:
    lines = [f"Last keystroke → ghost text drawn (threads={threads})",
             "", "| editor | samples | p50 | p90 | debounce p50 | request p50 | drawing p50 |",
             "|---|---|---|---|---|---|---|"]
    for result in results:
        rows = result["samples"]
        total = _column(rows, "ms")

        def p50(key: str, rows: list[dict[str, Any]] = rows) -> str:
            values = _column(rows, key)
            return f"{statistics.median(values):.0f} ms" if values else "–"

        lines.append(f"| {result['editor']} | {len(total)} | {statistics.median(total):.0f} ms | "
                     f"{percentile(total, 0.9):.0f} ms | {p50('debounce')} | {p50('request')} | "
                     f"{p50('drawing')} |")
    nvim = next((r for r in results if r["editor"].startswith("NVIM")), None)
    if nvim:
        rows = nvim["samples"]
        queue = [float(r["server"]) - float(r["pipeline"]) for r in rows
                 if isinstance(r.get("server"), int | float)
                 and isinstance(r.get("pipeline"), int | float)]
        lines += ["", "Inside the server (Neovim run, medians): "
                  f"request received → answered {statistics.median(_column(rows, 'server')):.0f} ms"
                  f" = queue and protocol {statistics.median(queue):.0f} ms + pipeline "
                  f"{statistics.median(_column(rows, 'pipeline')):.0f} ms (context "
                  f"{statistics.median(_column(rows, 'context')):.0f} ms, model "
                  f"{statistics.median(_column(rows, 'model')):.0f} ms: first token "
                  f"{statistics.median(_column(rows, 'first_token')):.0f} ms, "
                  f"{statistics.median(_column(rows, 'generated_tokens')):.0f} tokens, "
                  f"{statistics.median(_column(rows, 'reused_tokens')):.0f} of "
                  f"{statistics.median(_column(rows, 'prompt_tokens')):.0f} prompt tokens "
                  "from the cache)"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="GGUF file (default: the embedded model)")
    parser.add_argument("--samples", type=int, default=25, help="samples per editor")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--editors", default="nvim,vscode")
    parser.add_argument("--json", type=Path, help="write every sample here")
    args = parser.parse_args()
    model = args.model or embedded_model_path()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if "nvim" in args.editors:
            if not NVIM_012.is_file():
                print(f"Neovim 0.12 is not installed at {NVIM_012} (make install)",
                      file=sys.stderr)
                return 1
            (Path(tmp) / "nvim").mkdir()
            results.append(neovim(model, args.samples, args.threads, Path(tmp) / "nvim"))
        if "vscode" in args.editors:
            results.append(vscode(model, args.samples, args.threads, Path(tmp)))
    print(report(results, args.threads))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
