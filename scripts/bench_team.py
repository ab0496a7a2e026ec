"""`make bench-team`: how many developers one llama-server serves on this machine.

One llama-server (built by `make llama-server`) with the embedded model and 8 parallel slots;
N = 1, 2, 4, 8 simulated developers type code at once (about 70 words a minute, a pause at each
line's end), each through hearth's own HTTP engine and completion pipeline, asking for a
suggestion after every keystroke and cancelling the one in flight when the next arrives, as
hearth does. Per N: suggestion latency p50/p95 (keystroke to answer), suggestions answered and
cancelled, the server's throughput (its /metrics), and the largest N whose p95 stays within 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lsp_server.capacity import (
    BUDGET_MS,
    LEVELS,
    LINE_PAUSE_S,
    TYPING_CPS,
    LoadPoint,
    client_settings,
    developers_served,
    raw_speed,
    sweep,
)
from lsp_server.doctor.machine import cpu_name_and_cores
from lsp_server.llama_server import LlamaServerProcess, find_binary
from lsp_server.models import embedded_model_path
from lsp_server.team_server import BATCH, CONTEXT_PER_SLOT, server_threads, usable_cores


def row(point: LoadPoint) -> str:
    mark = "yes" if point.within_budget else "no"
    return (f"| {point.editors} | {point.p50_ms:.0f} | {point.p95_ms:.0f} | {point.answered} |"
            f" {point.cancelled} | {point.late} | {point.failed} |"
            f" {point.prompt_tokens_per_s:.0f} | {point.generated_tokens_per_s:.0f} | {mark} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="typing time per N")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--threads", type=int, default=server_threads(),
                        help="llama-server's threads (default: the team server's, one fewer"
                             " than the usable cores)")
    parser.add_argument("--model", default="", help="GGUF file (default: the embedded model)")
    parser.add_argument("--json", type=Path, help="also write the points here")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    model = Path(args.model) if args.model else embedded_model_path()
    binary = find_binary()
    cpu, _ = cpu_name_and_cores()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    slots = max(levels)
    print(f"bench-team {time.strftime('%Y-%m-%d %H:%M')}: {cpu or platform.processor()},"
          f" {usable_cores()} usable cores; load average before the run"
          f" {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"llama-server {binary} with {model.name}: {slots} slots x {CONTEXT_PER_SLOT} tokens,"
          f" {args.threads} threads; typing {TYPING_CPS:g} characters/s, {LINE_PAUSE_S:g} s"
          f" at each line's end, {args.seconds:g} s per N\n", flush=True)
    print("| developers typing | p50 ms | p95 ms | answered | cancelled | cut by the time"
          " budget | failed | prompt tokens/s | generated tokens/s | p95 <= 1 s |")
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    with LlamaServerProcess(binary, model, slots=slots, context=slots * CONTEXT_PER_SLOT,
                            threads=args.threads, batch=BATCH, metrics=True) as server:
        prompt_rate, generate_rate = raw_speed(server.url)
        print(f"| (the server alone, one request) | | | | | | | {prompt_rate:.0f} |"
              f" {generate_rate:.1f} | |", flush=True)
        points = sweep(client_settings(server.url), levels, args.seconds,
                       report=lambda p: print(row(p), flush=True))
    served = developers_served(points)
    print(f"\nLargest number of developers typing at once with p95 <= {BUDGET_MS} ms: "
          f"{served or 'none'}")
    for point in points:
        for error in point.errors:
            print(f"  N={point.editors} error: {error}")
    if args.json:
        args.json.write_text(json.dumps([p.__dict__ for p in points], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
