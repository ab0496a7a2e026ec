"""Loaded by the server under the security tests (this folder on PYTHONPATH): records every
process the server starts and every file it opens for writing, through Python's audit hooks, to
the file named by HEARTH_EXEC_GUARD_LOG. Native code that bypasses Python is not seen; hearth
runs none that spawns processes or writes files."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

LOG = os.environ.get("HEARTH_EXEC_GUARD_LOG", "")
SPAWNS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
          "os.forkpty", "pty.spawn"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _write(entry: dict[str, Any]) -> None:
    with open(LOG, "a", encoding="utf-8") as f:  # the guard's own write is not audited twice
        f.write(json.dumps(entry) + "\n")


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event in SPAWNS:
        _write({"event": event, "args": repr(args)[:300]})
    elif event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & WRITE_FLAGS)
        if writing and isinstance(path, str | bytes) and os.fsdecode(path) != LOG:
            _write({"event": "write", "path": os.fsdecode(path)})
    elif event in ("os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.truncate"):
        _write({"event": event, "args": repr(args)[:300]})


if LOG:
    sys.addaudithook(_hook)
