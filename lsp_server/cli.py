"""Command line: ``hearth-lsp serve`` for editors, and one-shot commands to try it without one."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import __version__, heap
from .cli_input import read_source, settings_from
from .config import ENGINES, FIX_METHODS
from .offline import enforce_offline_environment


def _add_model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="a TOML settings file")
    parser.add_argument("--model", help="GGUF model file (default: the embedded Gemma 3 270M)")
    parser.add_argument("--engine", choices=ENGINES)
    parser.add_argument("--server-url", help="a LAN inference server (with --engine http)")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--context-size", type=int)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hearth-lsp", description=__doc__)
    parser.add_argument("--version", action="version", version=f"hearth-lsp {__version__}")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--stdio", action="store_true", help="talk LSP on stdin/stdout (default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead")
    serve.add_argument("--log-file", type=Path, help="write logs here instead of stderr")
    serve.add_argument("--log-level", default=None,
                       choices=("debug", "info", "warning", "error"))
    _add_model_flags(serve)

    complete = sub.add_parser("complete", help="print the suggestion at FILE:LINE:COL")
    complete.add_argument("file", type=Path)
    complete.add_argument("line", type=int, help="1-based line")
    complete.add_argument("column", type=int, help="1-based column, in characters")
    complete.add_argument("--invoked", action="store_true",
                          help="as if asked explicitly (suggest even inside a word)")
    _add_model_flags(complete)

    for name, text in (("fix", "print the quick fix for the code at FILE --line N (a diff)"),
                       ("explain", "print the explanation of the code at FILE --line N")):
        one = sub.add_parser(name, help=text)
        one.add_argument("file", type=Path)
        one.add_argument("--line", type=int, required=True, help="1-based line")
        one.add_argument("--end-line", type=int, help="last line of a selection (1-based)")
        if name == "fix":
            one.add_argument("--message", help="the problem there, as a diagnostic says it")
            one.add_argument("--method", choices=FIX_METHODS,
                             help="search small edits or have the model rewrite the code "
                                  "(default: by the model, see hearth.fixMethod)")
        else:
            one.add_argument("--locale", default="", help="answer language (default: $LANG)")
        _add_model_flags(one)

    doctor = sub.add_parser("doctor", help="what this machine can serve: hardware, model, "
                            "measured speed, advice")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument("--no-measure", action="store_true",
                        help="skip the short runs that measure speed and capacity")
    doctor.add_argument("--no-team", action="store_true",
                        help="skip measuring how many developers a team server here serves")
    _add_model_flags(doctor)

    from . import team_server

    team_server.add_arguments(sub.add_parser(
        "team-server", help="start llama.cpp's llama-server for a team's editors"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    enforce_offline_environment()
    args = build_parser().parse_args(argv)
    if args.command in (None, "serve"):
        if args.command is None:
            args = build_parser().parse_args(["serve", *(argv or sys.argv[1:])])
        return _serve(args)
    if args.command == "complete":
        return _complete(args)
    if args.command in ("fix", "explain"):
        from . import assist_cli  # loads the model stack: not needed by the other commands

        settings = settings_from(args)
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        return assist_cli.run(args, settings)
    if args.command == "doctor":
        return _doctor(args)
    if args.command == "team-server":
        from . import team_server

        return team_server.main(args)
    return 2


def _setup_logging(log_file: Path | None, level: str) -> None:
    handler: logging.Handler
    try:
        handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    except OSError as exc:
        print(f"hearth-lsp: cannot write log file {log_file} ({exc}); logging to stderr",
              file=sys.stderr)
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("lsp_server").setLevel(getattr(logging, level.upper()))
    # pygls logs every message at INFO: far too much for a server that runs all day.
    logging.getLogger("pygls").setLevel(logging.WARNING)


def _serve(args: argparse.Namespace) -> int:
    heap.fix_large_block_threshold()  # memory of closed huge documents goes back at once
    settings = settings_from(args)
    _setup_logging(args.log_file, args.log_level or settings.log_level)
    from .protocol import serve_stdio, serve_tcp
    from .server import create_server

    server = create_server(settings)
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        return serve_tcp(server, host or "127.0.0.1", int(port))
    # LSP owns the real stdout; anything else that writes to file descriptor 1 (a native
    # library's printf) goes to stderr instead of corrupting the protocol stream.
    lsp_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return serve_stdio(server, sys.stdin.buffer, lsp_out)  # 0 after shutdown + exit, else 1


def _complete(args: argparse.Namespace) -> int:
    from .engines.base import CancelToken
    from .languages import language_for_path
    from .pipeline import CompletionRequest
    from .service import ModelHost

    settings = settings_from(args)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    source = read_source(args.file, settings)
    if source is None:
        return 1
    text, starts = source
    if not 1 <= args.line <= len(starts):
        print(f"hearth-lsp: line {args.line} is outside 1..{len(starts)}", file=sys.stderr)
        return 1
    line_end = starts[args.line] if args.line < len(starts) else len(text)
    line_text = text[starts[args.line - 1]:line_end].rstrip("\r\n")
    column = min(max(args.column, 1), len(line_text) + 1)
    offset = starts[args.line - 1] + column - 1

    host = ModelHost()
    status = host.load(settings, CancelToken())
    if host.pipeline is None:
        print(f"hearth-lsp: {status.message}", file=sys.stderr)
        return 1
    request = CompletionRequest(uri=args.file.resolve().as_uri(), text=text, offset=offset,
                                line_starts=starts, language_id=language_for_path(args.file.name),
                                path=args.file.name, invoked=args.invoked)
    start = time.monotonic()
    deadline = start + settings.time_budget_ms / 1000
    result = host.pipeline.complete(request, CancelToken(deadline))
    print(result.text)
    print(f"hearth-lsp: {status.model} ({status.template}), {result.reason}, "
          f"{(time.monotonic() - start) * 1000:.0f} ms", file=sys.stderr)
    host.unload()
    return 0


def _doctor(args: argparse.Namespace) -> int:
    import json

    from . import doctor

    settings = settings_from(args)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    report = doctor.run(settings, measure=not args.no_measure, team=not args.no_team)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(doctor.render(report))
    return 1 if report.model.error or report.model.sha256.startswith("MISMATCH") else 0
