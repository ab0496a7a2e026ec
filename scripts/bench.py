"""`make bench`: the latency table, measured with the embedded model on this machine.

Everything is measured in one run, against the real server over stdio:
  (a) inlineCompletion round trip over LSP ÷ the raw engine (llama-cpp-python's own
      Llama.generate, in this process) evaluating the same prompt tokens and generating the same
      number of tokens, each request replayed right after it (the server idle meanwhile), so
      both see the same KV-cache history and the same machine. The
      server runs with suggestionSearch "off" here, so it does exactly one generation; the same
      requests are then timed again with the default "checked" search, which may explore
      alternatives (extra model work the raw engine does not do);
  (b) a request right after the user typed one more character (KV prefix reuse) vs a cold one;
  (c) $/cancelRequest to generation stopped (server-side: cancel → model job returned), during
      prompt evaluation and during generation;
  (d) server memory (RSS and peak RSS).
Medians are reported; the raw numbers go to --json if asked.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILES = ["lsp_server/context.py", "lsp_server/postprocess.py", "lsp_server/worker.py",
                "lsp_server/config.py", "lsp_server/documents.py"]
Row = tuple[str, str, str]  # metric, measured, target


@dataclass
class Results:
    lsp_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)
    engine_ms: list[float] = field(default_factory=list)  # the server's own engine time
    checked_ms: list[float] = field(default_factory=list)
    cold_ms: list[float] = field(default_factory=list)
    warm_ms: list[float] = field(default_factory=list)
    cold_first_ms: list[float] = field(default_factory=list)  # server-side, to the first token
    warm_first_ms: list[float] = field(default_factory=list)
    cancel_prompt_ms: list[float] = field(default_factory=list)
    cancel_generation_ms: list[float] = field(default_factory=list)
    rss_mb: float = 0.0
    peak_rss_mb: float = 0.0


class Session:
    """A real hearth server over stdio, driven like an editor would."""

    def __init__(self, client: LanguageClient, workdir: Path) -> None:
        self.client = client
        self.workdir = workdir
        self.versions: dict[str, int] = {}

    @classmethod
    async def start(cls, workdir: Path, options: dict[str, Any]) -> Session:
        client = LanguageClient("hearth-bench", "1")
        env = dict(os.environ, XDG_CONFIG_HOME=str(workdir / "config"))
        await client.start_io(sys.executable, "-m", "lsp_server", "serve", env=env)
        caps = types.ClientCapabilities(
            general=types.GeneralClientCapabilities(position_encodings=["utf-16"]),
            text_document=types.TextDocumentClientCapabilities(
                inline_completion=types.InlineCompletionClientCapabilities()))
        await client.initialize_async(types.InitializeParams(
            capabilities=caps, initialization_options=options))
        client.initialized(types.InitializedParams())
        session = cls(client, workdir)
        end = time.monotonic() + 120
        while (await session.status())["state"] not in ("ready", "error"):
            if time.monotonic() > end:
                raise RuntimeError("model did not load")
            await asyncio.sleep(0.05)
        return session

    async def command(self, name: str) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[]))

    async def status(self) -> dict[str, Any]:
        result = await self.command("hearth.status")
        assert isinstance(result, dict)
        return result

    def open(self, name: str, text: str) -> str:
        uri = (self.workdir / name).as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1,
                                                 text=text)))
        return uri

    def type_text(self, uri: str, line: int, character: int, text: str) -> None:
        self.versions[uri] += 1
        at = types.Position(line=line, character=character)
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri,
                                                                version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=at, end=at), text=text)]))

    def params(self, uri: str, line: int, character: int) -> types.InlineCompletionParams:
        return types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked))

    async def complete(self, uri: str, line: int, character: int) -> float:
        start = time.perf_counter()
        await self.client.text_document_inline_completion_async(
            self.params(uri, line, character))
        return (time.perf_counter() - start) * 1000

    async def first_token_ms(self) -> float:
        """Prompt evaluation and first token of the last completion, as the server timed it."""
        last = await self.command("hearth.lastCompletion")
        assert isinstance(last, dict), "no completion recorded"
        return float(last["generation"]["first_token_ms"])

    async def configure(self, settings: dict[str, Any]) -> None:
        self.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"hearth": settings}))
        await self.status()  # processed in order: the settings are in effect now

    def server_memory_mb(self) -> tuple[float, float]:
        process = self.client._server
        assert process is not None
        fields: dict[str, float] = {}
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
        return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)

    async def close(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()  # type: ignore[no-untyped-call]


def cursor_sites(text: str, count: int, rng: random.Random) -> list[tuple[int, int]]:
    """Ends of non-blank code lines, where a suggestion is asked for."""
    lines = text.split("\n")
    sites = [(i, len(line)) for i, line in enumerate(lines)
             if line.strip() and not line.strip().startswith(("#", '"', "@")) and i > 20]
    return sorted(rng.sample(sites, min(count, len(sites))))


class RawEngine:
    """The yardstick: bare llama-cpp-python in this process, its own KV cache seeing the same
    prompts in the same order as the server's."""

    def __init__(self, model: str, settings: dict[str, Any]) -> None:
        import llama_cpp

        from lsp_server.engines.llama_cpp import BATCH_SIZE

        self.llm = llama_cpp.Llama(model_path=model, n_ctx=settings["contextSize"],
                                   n_threads=settings["threads"],
                                   n_threads_batch=settings["threads"], n_batch=BATCH_SIZE,
                                   verbose=False)

    def replay(self, replay: dict[str, Any]) -> float:
        """Milliseconds to evaluate the prompt the server used and generate as many tokens."""
        tokens: list[int] = []
        for index, (text, markup) in enumerate(replay["prompt"]):
            tokens += self.llm.tokenize(text.encode("utf-8"), add_bos=index == 0,
                                        special=markup)
        generation = replay["generation"]
        tokens = tokens[: generation["prompt_tokens"]]  # token healing backs up one token
        wanted = max(1, generation["generated_tokens"])
        start = time.perf_counter()
        stream = self.llm.generate(tokens, top_k=1, top_p=1.0, min_p=0.0, temp=0.0,
                                   repeat_penalty=1.0)
        for produced, _ in enumerate(stream, start=1):
            if produced >= wanted:
                break
        return (time.perf_counter() - start) * 1000

    def close(self) -> None:
        self.llm.close()


async def measure_round_trips(session: Session, results: Results, count: int,
                              rng: random.Random, raw: RawEngine) -> None:
    """(a) LSP round trips, each replayed at once through the raw engine (the exact prompt, the
    same number of tokens): a shared machine's speed drifts over minutes, so the two are timed
    side by side. The server is idle while the raw engine runs."""
    text = (ROOT / SAMPLE_FILES[0]).read_text(encoding="utf-8")
    uri = session.open("roundtrip.py", text)
    sites = cursor_sites(text, count, rng)
    await session.configure({"suggestionSearch": "off"})
    for line, column in sites:
        results.lsp_ms.append(await session.complete(uri, line, column))
        last = await session.command("hearth.lastCompletion")
        assert isinstance(last, dict), "no completion recorded"
        results.engine_ms.append(last["generation"]["total_ms"])
        results.raw_ms.append(raw.replay(last))
    await session.configure({"suggestionSearch": "checked"})
    uri = session.open("roundtrip_checked.py", text)
    for line, column in sites:
        results.checked_ms.append(await session.complete(uri, line, column))


async def measure_keystrokes(session: Session, results: Results, count: int,
                             rng: random.Random) -> None:
    """(b) a cold request in a file never seen, then the same after typing one character."""
    for i in range(count):
        source = (ROOT / SAMPLE_FILES[i % len(SAMPLE_FILES)]).read_text(encoding="utf-8")
        text = f"# bench file {i}: {rng.random()}\n" + source
        uri = session.open(f"keystroke_{i}.py", text)
        line, column = cursor_sites(text, 1, rng)[0]
        results.cold_ms.append(await session.complete(uri, line, column))
        results.cold_first_ms.append(await session.first_token_ms())
        session.type_text(uri, line, column, " ")
        results.warm_ms.append(await session.complete(uri, line, column + 1))
        results.warm_first_ms.append(await session.first_token_ms())


async def measure_cancel(session: Session, results: Results, count: int,
                         rng: random.Random) -> None:
    """(c) cancel during prompt evaluation (cold file) and during generation (warm file)."""
    await session.configure({"maxTokens": 400, "timeBudgetMs": 60000})
    for i in range(count):
        during_prompt = i % 2 == 0
        source = (ROOT / SAMPLE_FILES[i % len(SAMPLE_FILES)]).read_text(encoding="utf-8")
        text = f"# cancel file {i}: {rng.random()}\n" + source
        uri = session.open(f"cancel_{i}.py", text)
        lines = text.split("\n")
        line = next(n for n in range(30, len(lines)) if lines[n].rstrip().endswith(":"))
        column = len(lines[line])
        if not during_prompt:
            await session.complete(uri, line, column)  # warm the prompt: cancel mid-generation
        msg_id = f"cancel-{i}"
        request = asyncio.ensure_future(session.client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, session.params(uri, line, column),
            msg_id=msg_id))
        while not (await session.status())["busy"]:
            await asyncio.sleep(0.002)
        await asyncio.sleep(0.05 if during_prompt else 0.15)
        session.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        with contextlib.suppress(JsonRpcRequestCancelled):
            await request
        while (current := await session.status())["busy"]:
            await asyncio.sleep(0.002)
        target = results.cancel_prompt_ms if during_prompt else results.cancel_generation_ms
        target.append(float(current["lastStopLatencyMs"]))
    await session.configure({"maxTokens": 24, "timeBudgetMs": 60000})


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return (f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB RAM, no GPU, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def table(results: Results, settings: dict[str, Any], extra: list[Row]) -> str:
    ratios = [lsp / raw for lsp, raw in zip(results.lsp_ms, results.raw_ms, strict=True)]
    around = [lsp - engine for lsp, engine in zip(results.lsp_ms, results.engine_ms, strict=True)]
    rows: list[Row] = [
        ("inlineCompletion over LSP ÷ raw engine, same prompt and tokens (median of "
         f"{len(ratios)})", f"{median(ratios):.3f} ({median(results.lsp_ms):.0f} ms vs "
         f"{median(results.raw_ms):.0f} ms)", "≤ 1.05"),
        ("… the server's own time around the engine (round trip − engine time, median)",
         f"{median(around):.1f} ms", ""),
        (f"the same requests with the default suggestionSearch \"checked\" (median of "
         f"{len(results.checked_ms)})", f"{median(results.checked_ms):.0f} ms", ""),
        (f"cold request, new file (median of {len(results.cold_ms)})",
         f"{median(results.cold_ms):.0f} ms", ""),
        (f"after typing one more character (median of {len(results.warm_ms)})",
         f"{median(results.warm_ms):.0f} ms "
         f"({median(results.cold_ms) / median(results.warm_ms):.1f}× faster than cold)",
         "≥ 5× faster"),
        ("… of which prompt evaluation to the first token: cold / after one character",
         f"{median(results.cold_first_ms):.0f} ms / {median(results.warm_first_ms):.0f} ms "
         f"({median(results.cold_first_ms) / median(results.warm_first_ms):.0f}× faster)", ""),
        (f"$/cancelRequest → generation stopped, during prompt evaluation (median of "
         f"{len(results.cancel_prompt_ms)})", f"{median(results.cancel_prompt_ms):.1f} ms",
         "≤ 20 ms"),
        (f"$/cancelRequest → generation stopped, during generation (median of "
         f"{len(results.cancel_generation_ms)})",
         f"{median(results.cancel_generation_ms):.1f} ms", "≤ 20 ms"),
        ("server memory after the run (RSS / peak)",
         f"{results.rss_mb:.0f} MB / {results.peak_rss_mb:.0f} MB", ""),
        *extra,
    ]
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; embedded Gemma 3 270M "
             f"Q4_K_M, llama_cpp engine, {settings['threads']} thread(s), "
             f"{settings['maxTokens']} max tokens.", "",
             "| metric | measured | target |", "|---|---|---|"]
    lines += [f"| {m} | {v} | {t} |" for m, v, t in rows]
    return "\n".join(lines)


def extra_rows() -> list[Row]:
    """Rows from the other benchmark modules (context, index), when present."""
    rows: list[Row] = []
    sys.path.insert(0, str(ROOT))
    for name in ("scripts.bench_context", "scripts.bench_reliability"):
        try:
            module = __import__(name, fromlist=["measure"])
        except ImportError:
            continue
        measure: Callable[[], list[Row]] = module.measure
        rows += measure()
    return rows


async def run(args: argparse.Namespace) -> int:
    from lsp_server.models import embedded_model_path

    rng = random.Random(args.seed)
    model = str(embedded_model_path())
    settings = {"threads": args.threads, "contextSize": 4096, "maxTokens": 24,
                "timeBudgetMs": 60000}
    results = Results()
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        session = await Session.start(Path(tmp), settings)
        try:
            raw = RawEngine(model, settings)
            try:
                await measure_round_trips(session, results, args.requests, rng, raw)
            finally:
                raw.close()
            await measure_keystrokes(session, results, args.requests, rng)
            await measure_cancel(session, results, args.requests, rng)
            results.rss_mb, results.peak_rss_mb = session.server_memory_mb()
        finally:
            await session.close()
    extra = [] if args.skip_extra else extra_rows()
    print(table(results, settings, extra))
    if args.json:
        args.json.write_text(json.dumps(vars(results), indent=1))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=24, help="requests per measurement")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    parser.add_argument("--skip-extra", action="store_true",
                        help="only the LSP latency rows (no context/index benchmarks)")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
