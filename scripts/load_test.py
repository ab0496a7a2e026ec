"""`make load`: a scripted editor types at 20 characters a second for 60 seconds and asks for
ghost text after every keystroke, cancelling the previous request as Neovim 0.12 does; at the
end of each line it pauses (as people do), which is when a suggestion can arrive.

Reports the p50/p95 latency of answered requests, how many generations started and how many
were cancelled, and the server's memory before and after (it must not grow with the run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lsp_server.capacity import TYPED  # what a developer types, as in make bench-team
from scripts.bench import ROOT, Session


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="hearth-load-") as tmp:
        session = await Session.start(Path(tmp), {"threads": args.threads,
                                                  "timeBudgetMs": 1500, "maxTokens": 32})
        try:
            rss_before, _ = session.server_memory_mb()
            base = (ROOT / "lsp_server" / "context.py").read_text(encoding="utf-8")
            uri = session.open("typing.py", base)
            line = base.count("\n")
            column = 0
            latencies: list[float] = []
            pending: dict[str, asyncio.Future[Any]] = {}
            answered = cancelled = 0
            answered_at: dict[str, float] = {}  # request id → seconds from request to reply
            interval = 1 / args.rate
            start = time.monotonic()
            keystrokes = 0
            text = TYPED * 50
            while keystrokes < args.seconds * args.rate:
                char = text[keystrokes % len(text)]
                keystrokes += 1
                session.type_text(uri, line, column, char)
                if char == "\n":
                    line, column = line + 1, 0
                else:
                    column += 1
                for msg_id, future in list(pending.items()):
                    if not future.done():
                        session.client.protocol.notify(types.CANCEL_REQUEST,
                                                       types.CancelParams(id=msg_id))
                msg_id = f"k{keystrokes}"
                future = asyncio.ensure_future(session.client.protocol.send_request_async(
                    types.TEXT_DOCUMENT_INLINE_COMPLETION,
                    session.params(uri, line, column), msg_id=msg_id))
                sent = time.monotonic()
                future.add_done_callback(  # keyed by request: a future's id() is reused
                    lambda _, sent=sent, msg_id=msg_id: answered_at.setdefault(
                        msg_id, time.monotonic() - sent))
                pending[msg_id] = future
                if char == "\n":
                    start += args.pause_ms / 1000  # the pause does not count as typing time
                await asyncio.sleep(max(0.0, start + keystrokes * interval - time.monotonic()))
                for done_id, done in list(pending.items()):
                    if done.done():
                        del pending[done_id]
                        if done.cancelled() or isinstance(done.exception(),
                                                          JsonRpcRequestCancelled):
                            cancelled += 1
                        elif done.exception() is None:
                            answered += 1
                            latencies.append(answered_at[done_id] * 1000)
            for future in pending.values():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(future, 5)
            status = await session.status()
            rss_after, peak = session.server_memory_mb()
        finally:
            await session.close()
    generations = status["generations"]
    print(f"| keystrokes ({args.rate}/s for {args.seconds} s) | {keystrokes} |")
    print(f"| requests answered / cancelled by the client | {answered} / {cancelled} |")
    print(f"| answered latency p50 / p95 | {percentile(latencies, 0.5):.0f} ms / "
          f"{percentile(latencies, 0.95):.0f} ms |")
    print(f"| generations started / cancelled or replaced / dropped before starting | "
          f"{generations['started']} / {generations['cancelled']} / {generations['dropped']} |")
    print(f"| server RSS before / after / peak | {rss_before:.0f} / {rss_after:.0f} / "
          f"{peak:.0f} MB |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=float, default=20.0, help="keystrokes per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="typing time")
    parser.add_argument("--pause-ms", type=float, default=800.0, help="pause after each line")
    parser.add_argument("--threads", type=int, default=1)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
