"""How many developers one inference server serves, measured: simulated editors type code at
once, each through hearth's own HTTP engine and completion pipeline, asking for a suggestion
after every keystroke and cancelling the one in flight as hearth does when the next keystroke
arrives. ``make bench-team`` runs it at length; ``hearth-lsp doctor`` and ``team-server`` run
a short version of it to size a server.

A suggestion's latency runs from its keystroke to its answer (waiting for a cancelled
predecessor to stop included), as a developer sees it.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .config import Settings
from .context import line_starts_of
from .engines.base import CancelToken, EngineError, GenerationParams, Prompt
from .pipeline import CompletionPipeline, CompletionRequest, CompletionResult
from .prompts import choose_completion_template, completion_templates
from .service.model_host import WARM_UP_LIMIT_S, WARM_UP_PROMPT

BUDGET_MS = 1000  # a suggestion later than this is read as lag
TYPING_CPS = 6.0  # characters a second within a burst, about 70 words a minute
LINE_PAUSE_S = 1.2  # a pause at the end of each line: reading, thinking, taking a suggestion
LEVELS = (1, 2, 4, 8)

# What each simulated developer types, below a file it already has open.
TYPED = '''
def moving_average(values, window):
    """Average of each run of `window` consecutive values."""
    if window <= 0:
        raise ValueError("window must be positive")
    result = []
    total = sum(values[:window])
    result.append(total / window)
    for index in range(window, len(values)):
        total += values[index] - values[index - window]
        result.append(total / window)
    return result


def parse_pairs(text, separator="="):
    """Lines of "key = value" into a dict; blank lines and comments are skipped."""
    pairs = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(separator)
        pairs[key.strip()] = value.strip()
    return pairs
'''

OPENED = '''"""Helpers of the {name} service: settings, retries and small statistics."""

import os
import time
from dataclasses import dataclass


@dataclass
class {title}Settings:
    """Where the {name} service keeps its files and how patient it is."""

    root: str = os.path.expanduser("~/.cache/{name}")
    retries: int = 3
    timeout_s: float = 2.5

    def path_for(self, key: str) -> str:
        safe = key.replace("/", "_").strip()
        return os.path.join(self.root, f"{{safe}}.json")


def retry(action, attempts=3, pause_s=0.2):
    """Run `action` until it succeeds, at most `attempts` times, waiting between tries."""
    for attempt in range(attempts):
        try:
            return action()
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(pause_s * (2 ** attempt))
    return None
'''
SERVICES = ("billing", "search", "ledger", "upload", "notify", "audit", "report", "gateway")


@dataclass(frozen=True)
class LoadPoint:
    editors: int
    seconds: float
    keystrokes: int
    answered: int  # suggestions that reached the editor (within the time budget or cut by it)
    cancelled: int  # superseded by the next keystroke
    late: int  # answered, cut by hearth's time budget
    failed: int
    p50_ms: float
    p95_ms: float
    prompt_tokens_per_s: float  # what the server processed, from its /metrics
    generated_tokens_per_s: float
    errors: tuple[str, ...] = ()

    @property
    def within_budget(self) -> bool:
        return self.answered > 0 and self.failed == 0 and self.p95_ms <= BUDGET_MS


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    keystrokes: int = 0
    cancelled: int = 0
    late: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, result: CompletionResult | None, latency_ms: float, error: str) -> None:
        with self.lock:
            if error:
                self.failed += 1
                if error not in self.errors:
                    self.errors.append(error)
            elif result is None or result.reason == "cancelled":
                self.cancelled += 1
            else:
                self.latencies.append(latency_ms)
                generation = result.generation
                if generation is not None and generation.stop_reason == "deadline":
                    self.late += 1


class _Editor:
    """One developer: a typist thread and a worker thread, like an editor and hearth's worker."""

    def __init__(self, number: int, settings: Settings, tally: _Tally, stop_at: float) -> None:
        name = SERVICES[number % len(SERVICES)] + ("" if number < len(SERVICES) else str(number))
        self.text = OPENED.format(name=name, title=name.title())
        self.path = f"{name}/helpers.py"
        self.settings = settings
        self.tally = tally
        self.stop_at = stop_at
        self._pending: tuple[CompletionRequest, float] | None = None
        self._token: CancelToken | None = None
        self._wake = threading.Condition()
        self._done = False
        self.pipeline: CompletionPipeline | None = None

    def connect(self) -> None:
        from .models import load_engine

        engine = load_engine(self.settings)
        template = choose_completion_template(completion_templates(), engine.info, engine,
                                              self.settings.completion_template)
        # hearth's warm-up when it loads a model (a short generation, at most 5 s)
        engine.generate(Prompt.plain(WARM_UP_PROMPT), GenerationParams(max_tokens=4),
                        CancelToken(time.monotonic() + WARM_UP_LIMIT_S))
        self.pipeline = CompletionPipeline(engine, template, self.settings)

    def type(self) -> None:
        typed = 0
        next_key = time.monotonic()
        while time.monotonic() < self.stop_at:
            char = TYPED[typed % len(TYPED)]
            typed += 1
            self.text += char
            now = time.monotonic()
            request = CompletionRequest(uri=f"file:///team/{self.path}", text=self.text,
                                        offset=len(self.text),
                                        line_starts=line_starts_of(self.text),
                                        language_id="python", path=self.path)
            with self._wake:
                if self._token is not None:
                    self._token.cancel()  # the next keystroke: what hearth does
                if self._pending is not None:
                    self.tally.record(None, 0.0, "")  # replaced before it started
                self._pending = (request, now)
                self._wake.notify()
            with self.tally.lock:
                self.tally.keystrokes += 1
            next_key += 1 / TYPING_CPS + (LINE_PAUSE_S if char == "\n" else 0.0)
            time.sleep(max(0.0, min(next_key, self.stop_at) - time.monotonic()))
        with self._wake:  # typing stops: the last suggestion is awaited, as it would be
            self._done = True
            self._wake.notify()

    def serve(self) -> None:
        assert self.pipeline is not None
        budget_s = self.settings.time_budget_ms / 1000
        while True:
            with self._wake:
                while self._pending is None and not self._done:
                    self._wake.wait()
                if self._pending is None:
                    return
                request, sent = self._pending
                self._pending = None
                token = CancelToken(sent + budget_s)
                self._token = token
            result: CompletionResult | None = None
            error = ""
            try:
                result = self.pipeline.complete(request, token)
            except EngineError as exc:
                error = str(exc)
            with self._wake:
                self._token = None
            self.tally.record(result, (time.monotonic() - sent) * 1000, error)

    def close(self) -> None:
        if self.pipeline is not None:
            self.pipeline.engine.close()


def simulate(settings: Settings, editors: int, seconds: float) -> LoadPoint:
    """``editors`` developers typing for ``seconds`` against the server in ``settings``."""
    tally = _Tally()
    stop_at = time.monotonic() + 3600.0
    people = [_Editor(n, settings, tally, stop_at) for n in range(editors)]
    for person in people:
        person.connect()  # probing the server is not part of the measurement
    counters = server_counters(settings)
    start = time.monotonic()
    for person in people:
        person.stop_at = start + seconds
    threads = [threading.Thread(target=target, daemon=True, name=f"editor-{n}")
               for n, person in enumerate(people) for target in (person.type, person.serve)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - start
    time.sleep(0.3)  # llama.cpp adds a slot's tokens to /metrics once the slot is idle again
    after = server_counters(settings)
    for person in people:
        person.close()
    rates = [max(0.0, b - a) / elapsed for a, b in zip(counters, after, strict=True)]
    return LoadPoint(
        editors=editors, seconds=round(elapsed, 1), keystrokes=tally.keystrokes,
        answered=len(tally.latencies), cancelled=tally.cancelled, late=tally.late,
        failed=tally.failed, p50_ms=round(percentile(tally.latencies, 0.5)),
        p95_ms=round(percentile(tally.latencies, 0.95)),
        prompt_tokens_per_s=round(rates[0], 1), generated_tokens_per_s=round(rates[1], 1),
        errors=tuple(tally.errors[:3]))


def sweep(settings: Settings, levels: Sequence[int] = LEVELS, seconds: float = 30.0,
          report: Callable[[LoadPoint], None] | None = None,
          stop_when_over: bool = False) -> list[LoadPoint]:
    """A load point per level; with ``stop_when_over`` the sweep ends at the first level whose
    p95 is over the budget (larger ones only get slower)."""
    points = []
    for level in levels:
        point = simulate(settings, level, seconds)
        points.append(point)
        if report is not None:
            report(point)
        if stop_when_over and not point.within_budget:
            break
    return points


def raw_speed(url: str) -> tuple[float, float]:
    """The server alone, one request at a time (llama.cpp's /completion and its own timings):
    prompt tokens/s for a file's first request, generated tokens/s for the next."""
    prompt = OPENED.format(name="speed", title="Speed")
    rates = []
    for text, n, key in ((prompt, 1, "prompt_per_second"),
                         (prompt + "\n\ndef parse_", 32, "predicted_per_second")):
        body = json.dumps({"prompt": text, "n_predict": n, "temperature": 0.0,
                           "ignore_eos": True, "cache_prompt": True}).encode()
        request = urllib.request.Request(url.rstrip("/") + "/completion", body,
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as reply:
            timings = json.loads(reply.read()).get("timings", {})
        rates.append(float(timings.get(key, 0.0)))
    return rates[0], rates[1]


def developers_served(points: Sequence[LoadPoint]) -> int:
    """The largest number of developers typing at once whose p95 stays within the budget."""
    return max((p.editors for p in points if p.within_budget), default=0)


def server_counters(settings: Settings) -> tuple[float, float]:
    """llama.cpp's prompt and generated token totals from /metrics (0, 0 without --metrics)."""
    request = urllib.request.Request(settings.server_url.rstrip("/").removesuffix("/v1")
                                     + "/metrics")
    token = _token_of(settings)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            text = reply.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError):
        return 0.0, 0.0
    values: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in ("llamacpp:prompt_tokens_total", "llamacpp:tokens_predicted_total"):
            try:
                values[name] = float(value)
            except ValueError:
                continue
    return (values.get("llamacpp:prompt_tokens_total", 0.0),
            values.get("llamacpp:tokens_predicted_total", 0.0))


def _token_of(settings: Settings) -> str:
    return os.environ.get(settings.api_key_env, "") if settings.api_key_env else ""


def percentile(values: Sequence[float], q: float) -> float:
    """0 for no values (a level with no answer is never within the budget)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def client_settings(url: str, api_key_env: str = "") -> Settings:
    """hearth's settings for an editor of this server: the defaults, the HTTP engine."""
    return Settings(engine="http", server_url=url, api_key_env=api_key_env)


def as_json(points: Sequence[LoadPoint]) -> str:
    return json.dumps([p.__dict__ for p in points], indent=2)
