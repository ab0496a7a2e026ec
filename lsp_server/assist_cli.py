"""``hearth-lsp fix FILE --line N`` and ``hearth-lsp explain FILE --line N``: the quick fix and
the explanation an editor would get, printed (a unified diff, or Markdown) for scripts and for
trying hearth without an editor. Exit status 0 when there is a fix (an explanation), else 1."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import time
from dataclasses import replace

from . import regions
from .assist import Assistant, ExplainRequest, FixRequest, Problem
from .cli_input import read_source
from .config import Settings
from .engines.base import CancelToken
from .languages import language_for_path
from .prompts import PromptError
from .service import ModelHost


def run(args: argparse.Namespace, settings: Settings) -> int:
    source = read_source(args.file, settings)
    if source is None:
        return 1
    text, starts = source
    last_line = args.end_line or args.line
    if not 1 <= args.line <= last_line <= len(starts):
        print(f"hearth-lsp: lines {args.line}..{last_line} are outside 1..{len(starts)}",
              file=sys.stderr)
        return 1
    start, end = regions.line_bounds(text, starts[args.line - 1], starts[last_line - 1])
    start += len(text[start:end]) - len(text[start:end].lstrip())  # the line's first character
    if args.end_line is None:
        end = start
    else:
        end = regions.line_bounds(text, starts[last_line - 1], starts[last_line - 1])[1]

    host = ModelHost()
    status = host.load(settings, CancelToken())
    try:
        assistant = host.assistant()
    except PromptError as exc:  # a broken fix.toml or explain.toml in hearth.promptsDir
        assistant, status = None, replace(status, message=str(exc))
    if assistant is None:
        print(f"hearth-lsp: {status.message}", file=sys.stderr)
        host.unload()
        return 1
    cancel = CancelToken(time.monotonic() + settings.command_timeout_ms / 1000)
    language = language_for_path(args.file.name)
    path = str(args.file)
    try:
        if args.command == "fix":
            return _fix(assistant, text, start, end, language, path, args.message, cancel)
        locale = args.locale or _environment_locale()
        result = assistant.explain(ExplainRequest(text, start, end, language, path, locale),
                                   cancel)
        print(result.markdown)
        print(f"hearth-lsp: {status.model}, {result.reason}, {result.total_ms:.0f} ms",
              file=sys.stderr)
        return 0 if result.reason == "ok" else 1
    finally:
        host.unload()


def _fix(assistant: Assistant, text: str, start: int, end: int, language: str, path: str,
         message: str | None, cancel: CancelToken) -> int:
    line_end = regions.line_bounds(text, start, end)[1]
    problems = (Problem(message, start, max(end, line_end), "cli"),) if message else ()
    result = assistant.fix(FixRequest(text, start, end, language, path, problems), cancel)
    if result.ok:
        fixed = regions.apply_edits(text, list(result.edits))
        sys.stdout.writelines(difflib.unified_diff(
            text.splitlines(keepends=True), fixed.splitlines(keepends=True),
            fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}"))
    print(f"hearth-lsp: {'fix' if result.ok else 'no fix'}: {result.message} "
          f"({result.total_ms:.0f} ms)", file=sys.stderr)
    return 0 if result.ok else 1


def _environment_locale() -> str:
    """"ja_JP.UTF-8" → "ja-jp"; English when unset."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value.split(".")[0].replace("_", "-").lower()
    return "en"
