"""``hearth-lsp team-server``: llama.cpp's llama-server started for a team's editors.

A launcher, not a server of hearth's own: it checks the model, sizes the parallel slots from a
short measurement on this machine (simulated developers typing through hearth's HTTP engine;
or takes ``--slots``), starts the llama-server that ``make llama-server`` built (no web UI, no
downloads; the API key from an environment variable, never the command line), prints what the
editors need, and stops the server on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .capacity import LoadPoint

DEFAULT_PORT = 8012
CONTEXT_PER_SLOT = 4096  # hearth's prompt budget and answer, with room for other files
BATCH = 1024  # llama.cpp keeps at most 3/4 of a batch of /infill's prefix
MEASURE_SECONDS = 6.0
MAX_SLOTS = 8
KV_SHARE_OF_MEMORY = 0.5  # of the memory left after the weights, for the slots' KV cache


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="GGUF model file (default: the embedded Gemma 3 270M)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; 0.0.0.0 for the whole LAN (default:"
                             " 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port (default {DEFAULT_PORT}; 0: any free port)")
    parser.add_argument("--slots", type=int,
                        help="requests served at once (default: measured on this machine)")
    parser.add_argument("--context", type=int,
                        help=f"tokens of context per slot (default {CONTEXT_PER_SLOT}, less if"
                             " memory is short)")
    parser.add_argument("--threads", type=int,
                        help="CPU threads for llama-server (default: one fewer than the usable"
                             " cores, at most 8)")
    parser.add_argument("--api-key-env", default="",
                        help="name of the environment variable holding the key editors send")
    parser.add_argument("--server-binary", default="",
                        help="a llama-server to run instead of the one `make llama-server`"
                             " built")


@dataclass(frozen=True)
class Plan:
    binary: Path
    model: Path
    slots: int
    context: int  # per slot
    threads: int
    api_key: str
    measured: str  # how the slot count was chosen, for the printout


class TeamServerError(Exception):
    """A setting is wrong; the message names it."""


def main(args: argparse.Namespace) -> int:
    from .llama_server import LlamaServerError, LlamaServerProcess

    try:
        plan = make_plan(args)
    except (TeamServerError, LlamaServerError) as exc:
        print(f"hearth-lsp team-server: {exc}", file=sys.stderr)
        return 2
    server = LlamaServerProcess(plan.binary, plan.model, host=args.host, port=args.port,
                                slots=plan.slots, context=plan.slots * plan.context,
                                threads=plan.threads, batch=BATCH, api_key=plan.api_key,
                                metrics=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start(timeout=300)
    except LlamaServerError as exc:
        print(f"hearth-lsp team-server: {exc}", file=sys.stderr)
        return 1
    try:
        print(describe(plan, server.url, args), flush=True)
        while not stop.is_set() and server.process is not None \
                and server.process.poll() is None:
            stop.wait(0.5)
        if not stop.is_set():
            print(f"hearth-lsp team-server: llama-server stopped: {server.last_lines()}",
                  file=sys.stderr)
            return 1
        print("hearth-lsp team-server: stopping", flush=True)
        return 0
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def make_plan(args: argparse.Namespace) -> Plan:
    from .llama_server import find_binary

    model = _model(args.model)
    binary = find_binary(args.server_binary)
    api_key = ""
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env, "").strip()
        if not api_key:
            raise TeamServerError(f"--api-key-env names {args.api_key_env}, but that"
                                  " environment variable is not set")
    elif args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"hearth-lsp team-server: warning: listening on {args.host} without a key;"
              " anyone on the network can use it (--api-key-env)", file=sys.stderr)
    for flag, value in (("--slots", args.slots), ("--context", args.context),
                        ("--threads", args.threads)):
        if value is not None and value < 1:
            raise TeamServerError(f"{flag} must be at least 1, got {value}")
    if not 0 <= args.port <= 65535:
        raise TeamServerError(f"--port must be 0..65535, got {args.port}")
    threads = args.threads or server_threads()
    context, most = max_slots(model, args.context)
    if args.slots:
        return Plan(binary, model, args.slots, context, threads, api_key, "given")
    print(f"hearth-lsp team-server: measuring how many developers this machine serves"
          f" (up to {most} typing at once, {MEASURE_SECONDS:.0f} s each)...", flush=True)
    points = measure_levels(binary, model, context, threads, most, MEASURE_SECONDS)
    slots, note = slots_from(points)
    return Plan(binary, model, slots, context, threads, api_key, note)


def measure_levels(binary: Path, model: Path, context: int, threads: int, most: int,
                   seconds: float) -> list[LoadPoint]:
    """Start a private llama-server with ``most`` slots and let simulated developers type at
    1, 2, 4... at once until the p95 latency passes the budget."""
    from .capacity import LEVELS, client_settings, sweep
    from .llama_server import LlamaServerProcess

    levels = [n for n in LEVELS if n <= most] or [1]
    with LlamaServerProcess(binary, model, slots=most, context=most * context,
                            threads=threads or server_threads(), batch=BATCH,
                            metrics=True) as probe:
        return sweep(client_settings(probe.url), levels, seconds, stop_when_over=True)


def slots_from(points: list[LoadPoint]) -> tuple[int, str]:
    from .capacity import BUDGET_MS, developers_served

    served = developers_served(points)
    summary = ", ".join(f"{p.editors} typing: p95 {p.p95_ms:.0f} ms" for p in points)
    if not served:
        return 1, (f"measured: {summary}; even one developer waits more than {BUDGET_MS} ms"
                   " here, a smaller model or a faster machine would serve better")
    return served, f"measured: {summary}; budget p95 <= {BUDGET_MS} ms"


def max_slots(model: Path, wanted_context: int | None) -> tuple[int, int]:
    """Context per slot, and how many such slots fit in memory beside the weights (at most
    ``MAX_SLOTS``)."""
    from .doctor.machine import available_memory
    from .doctor.model import kv_bytes_per_token, trained_context

    trained = trained_context(model)
    context = wanted_context or (min(CONTEXT_PER_SLOT, trained) if trained
                                 else CONTEXT_PER_SLOT)
    per_token = kv_bytes_per_token(model)
    free = available_memory() - model.stat().st_size
    if not per_token or free <= 0:
        return context, MAX_SLOTS
    fitting = int(free * KV_SHARE_OF_MEMORY // (per_token * context))
    return context, max(1, min(MAX_SLOTS, fitting))


def describe(plan: Plan, url: str, args: argparse.Namespace) -> str:
    where = url
    if args.host in ("0.0.0.0", "::"):
        port = url.rsplit(":", 1)[1]
        where = f"http://{socket.getfqdn()}:{port}"
    lines = [
        f"hearth-lsp team-server: llama-server is up at {url}",
        f"  model    {plan.model}",
        f"  slots    {plan.slots} ({plan.measured}), {plan.context} tokens of context each,"
        f" {plan.threads} threads",
        "",
        "Editors: set these hearth settings (VS Code settings.json shown; the same keys in"
        " Neovim's init_options or ~/.config/hearth-lsp/config.toml):",
        '  "hearth.engine": "http",',
        f'  "hearth.serverUrl": "{where}",',
    ]
    if args.api_key_env:
        lines.append(f'  "hearth.apiKeyEnv": "{args.api_key_env}"   (each developer puts the'
                     f" key in ${args.api_key_env} before starting the editor)")
    lines += ["", "Ctrl-C stops the server."]
    return "\n".join(lines)


def _model(given: str | None) -> Path:
    from .gguf_header import GGUFError, read_header

    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise TeamServerError(f"--model {path}: no such file")
    else:
        from .engines.base import EngineError
        from .models import embedded_model_path

        try:
            path = embedded_model_path()
        except EngineError as exc:
            raise TeamServerError(str(exc)) from exc
    try:
        read_header(path)
    except (GGUFError, OSError) as exc:
        raise TeamServerError(f"--model {path} is not a GGUF model file ({exc})") from exc
    return path


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def server_threads() -> int:
    """hearth's own rule for llama.cpp: one core fewer than usable. On every core its threads
    spin-wait for each other, and anything else running (the HTTP threads, the OS, a build)
    makes generation collapse: measured here, ten times slower on 2 of 2 busy cores than on 1."""
    from .config import default_threads

    return default_threads()
