"""`make memory`: does the server's memory come back? Repeated cycles against the real server
over stdio, with the RSS after a warm-up and after every cycle:

  documents  open 500 unsaved documents, edit each, ask for a suggestion in some, close them all;
  huge       open a 20 MB document, edit it, ask for a suggestion in it and, at the same
             moment, for the status and a suggestion in a small document (timed); close it;
  reload     change the context size, which loads the model again.

A cycle that leaves memory behind shows as a step in its row; a working server keeps every row
within a few MB of its warm-up figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.bench import Session

SMALL = '''import os


def load(path):
    """Read a file next to this one."""
    with open(os.path.join(os.path.dirname(__file__), path)) as handle:
        return handle.read()


def total(values):
    result = 0
    for value in values:
        result += value
    return result
'''
UNIT = "def f{n}(a, b):\n    return a + b\n\n"


def huge_text(megabytes: float) -> str:
    parts: list[str] = []
    size = 0
    n = 0
    while size < megabytes * 1024 * 1024:
        part = UNIT.format(n=n)
        parts.append(part)
        size += len(part)
        n += 1
    return "".join(parts) + "def g(x):\n    "


async def settle(session: Session) -> float:
    """RSS once the server is idle (timers fired, the worker done), in MB."""
    await asyncio.sleep(1.0)
    end = time.monotonic() + 30
    while (await session.status())["busy"] and time.monotonic() < end:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    return session.server_memory_mb()[0]


def close(session: Session, uri: str) -> None:
    session.client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))


async def documents_cycle(session: Session, cycle: int, count: int) -> None:
    uris = []
    for i in range(count):
        uri = session.open(f"unsaved_{cycle}_{i}.py", f"# document {i}\n" + SMALL)
        session.type_text(uri, 3, 0, f"x_{i} = {i}\n")
        uris.append(uri)
        if i % 50 == 0:
            await session.complete(uri, 15, 0)
    await session.status()
    for uri in uris:
        close(session, uri)


async def timed(coroutine: Awaitable[Any]) -> float:
    began = time.perf_counter()
    await coroutine
    return (time.perf_counter() - began) * 1000


async def huge_cycle(session: Session, cycle: int, text: str,
                     latencies: dict[str, list[float]]) -> None:
    """Also times, while the huge document is being typed into and its suggestion is being
    made, ``hearth.status`` and a small document's suggestion asked at the same moment."""
    began = time.perf_counter()
    uri = session.open(f"huge_{cycle}.py", text)
    small = session.open(f"small_{cycle}.py", SMALL)
    await session.status()  # receiving 20 MB of JSON is the open's own cost: timed apart
    latencies["open"].append((time.perf_counter() - began) * 1000)
    lines = text.count("\n")
    column = len(text) - text.rfind("\n") - 1
    for i in range(3):
        session.type_text(uri, lines, column + i, "x")
    huge = asyncio.ensure_future(session.complete(uri, lines, column + 3))
    latencies["status"].append(await timed(session.status()))
    latencies["small"].append(await session.complete(small, 15, 0))
    latencies["huge"].append(await huge)
    close(session, uri)
    close(session, small)


async def reload_cycle(session: Session, cycle: int) -> None:
    await session.configure({"contextSize": 4096 if cycle % 2 else 4032})
    end = time.monotonic() + 120
    await asyncio.sleep(0.2)
    while (await session.status())["state"] != "ready":
        if time.monotonic() > end:
            raise RuntimeError("the model did not load again")
        await asyncio.sleep(0.1)


async def measure(session: Session, name: str, cycles: int, warm_up: int,
                  run: Callable[[int], Awaitable[None]]) -> dict[str, Any]:
    for cycle in range(warm_up):
        await run(-1 - cycle)
    warm = await settle(session)
    after: list[float] = []
    for cycle in range(cycles):
        began = time.monotonic()
        await run(cycle)
        after.append(await settle(session))
        print(f"  {name} cycle {cycle + 1}: {after[-1]:.0f} MB "
              f"({time.monotonic() - began:.1f} s)", flush=True)
    return {"scenario": name, "warm_mb": warm, "after_mb": after}


async def run(args: argparse.Namespace) -> int:
    options = {"threads": args.threads, "contextSize": 4096, "maxTokens": 16,
               "timeBudgetMs": 1500}
    results: list[dict[str, Any]] = []
    latencies: dict[str, list[float]] = {"open": [], "status": [], "small": [], "huge": []}
    text = huge_text(args.huge_mb)
    with tempfile.TemporaryDirectory(prefix="hearth-memory-") as tmp:
        session = await Session.start(Path(tmp), options)
        try:
            start_mb = await settle(session)
            print(f"after start-up: {start_mb:.0f} MB", flush=True)
            if "documents" in args.scenarios:
                results.append(await measure(
                    session, f"open, edit and close {args.documents} documents", args.cycles, 1,
                    lambda c: documents_cycle(session, c, args.documents)))
            if "huge" in args.scenarios:
                results.append(await measure(
                    session, f"open, edit and close a {args.huge_mb:g} MB document",
                    args.cycles, 1, lambda c: huge_cycle(session, c, text, latencies)))
            if "reload" in args.scenarios:
                results.append(await measure(
                    session, "reload the model", args.reloads, 2,
                    lambda c: reload_cycle(session, c)))
            peak = session.server_memory_mb()[1]
        finally:
            await session.close()
    print()
    print("| scenario | after warm-up | after each cycle | last − warm-up |")
    print("|---|---|---|---|")
    for row in results:
        cycles = " / ".join(f"{mb:.0f}" for mb in row["after_mb"])
        growth = row["after_mb"][-1] - row["warm_mb"]
        print(f"| {row['scenario']} | {row['warm_mb']:.0f} MB | {cycles} MB | "
              f"{growth:+.0f} MB |")
    print(f"\nserver RSS after start-up {start_mb:.0f} MB, peak {peak:.0f} MB")
    if latencies["status"]:
        print(f"beside the {args.huge_mb:g} MB document being typed into (median of "
              f"{len(latencies['status'])}): hearth.status "
              f"{statistics.median(latencies['status']):.0f} ms, a small document's suggestion "
              f"{statistics.median(latencies['small']):.0f} ms, the huge document's own "
              f"{statistics.median(latencies['huge']):.0f} ms (time budget "
              f"{options['timeBudgetMs']} ms); opening it (didOpen to the next status reply) "
              f"{statistics.median(latencies['open']):.0f} ms")
    if args.json:
        args.json.write_text(json.dumps({"start_mb": start_mb, "peak_mb": peak,
                                         "results": results, "latency_ms": latencies},
                                        indent=1))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--reloads", type=int, default=8)
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--huge-mb", type=float, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--scenarios", nargs="+", default=["documents", "huge", "reload"],
                        choices=["documents", "huge", "reload"])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
