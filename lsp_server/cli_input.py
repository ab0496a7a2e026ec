"""What the command line reads besides its flags: the settings files, and the source files the
one-shot commands work on."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .config import Settings, load_file, merge, user_config_path
from .workspace_files import private_document


def settings_from(args: argparse.Namespace) -> Settings:
    """Defaults, then the user's config file, then --config, then flags."""
    settings = Settings()
    errors: list[str] = []
    for path in (user_config_path(), args.config):
        if path is not None and Path(path).is_file():
            settings, found = load_file(Path(path), settings)
            errors += found
    flags = {"modelPath": args.model, "engine": args.engine, "threads": args.threads,
             "contextSize": args.context_size, "serverUrl": args.server_url,
             "fixMethod": getattr(args, "method", None)}
    settings, found = merge(settings, {k: v for k, v in flags.items() if v is not None})
    for error in errors + found:
        print(f"hearth-lsp: {error}", file=sys.stderr)
    return settings


def read_source(path: Path, settings: Settings) -> tuple[str, list[int]] | None:
    """A source file and its line starts, or None after saying why it cannot be read: a file on
    the secrets deny list (by its name or by the file a symbolic link makes it; ``exclude``
    globs relative to the current folder) is not even opened, as the server would not."""
    from .context import line_starts_of

    if private_document(str(path), [os.getcwd()], settings.exclude):
        print(f"hearth-lsp: {path} is on the secrets deny list (credentials, keys, .env files,"
              " or hearth.exclude): nothing of it is given to the model", file=sys.stderr)
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"hearth-lsp: cannot read {path}: {exc}", file=sys.stderr)
        return None
    return text, line_starts_of(text)
