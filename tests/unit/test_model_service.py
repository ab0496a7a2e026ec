"""The model service without pygls: loading (and keeping the working model when a load fails),
settings changes, completions, fixes and explanations, status, and cancellation, on the tiny
real GGUF model."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest

from lsp_server.assist import ExplainRequest, FixRequest, FixResult, Problem
from lsp_server.config import Settings
from lsp_server.context import line_starts_of
from lsp_server.pipeline import CompletionRequest
from lsp_server.service import Level, ModelService, NoProgress, Progress, ServiceUnavailable
from tests.unit.conftest import AVERAGE_SOURCE

TEXT = "x = "


class Recorder:
    """A listener that keeps what it is told, and lets a test cancel the progress."""

    def __init__(self) -> None:
        self.shown: list[tuple[Level, str]] = []
        self.logged: list[str] = []
        self.progress: list[str] = []
        self.cancel_progress: Callable[[], None] | None = None

    def show(self, level: Level, message: str) -> None:
        self.shown.append((level, message))

    def log(self, level: Level, message: str) -> None:
        self.logged.append(message)

    async def begin_progress(self, title: str, message: str, *,
                             on_cancel: Callable[[], None] | None = None) -> Progress:
        self.progress.append(title)
        self.cancel_progress = on_cancel
        return NoProgress()


@pytest.fixture
def settings(tiny_model: Path) -> Settings:
    return Settings(model_path=str(tiny_model), threads=1, max_tokens=8)


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[ModelService]:
    service = ModelService(settings, Recorder())
    yield service
    service.close()


def recorder(service: ModelService) -> Recorder:
    assert isinstance(service.listener, Recorder)
    return service.listener


def request(text: str = TEXT, uri: str = "file:///a.txt", language_id: str = "plaintext"
            ) -> CompletionRequest:
    return CompletionRequest(uri=uri, text=text, offset=len(text),
                             line_starts=line_starts_of(text), language_id=language_id,
                             path="a.txt")


async def wait_idle(service: ModelService) -> None:
    while service.worker.busy or service.host.status.state == "loading":
        await asyncio.sleep(0.01)


async def test_loads_completes_and_reports_status(service: ModelService) -> None:
    changes: list[bool] = []
    service.subscribe(changes.append)
    assert await service.complete(request()) is None  # nothing loaded yet: None at once
    status = await service.load_model()
    assert status.state == "ready" and service.ready
    assert True in changes  # the state change was announced as urgent
    result = await service.complete(request())
    assert result is not None and result.text and result.reason == "ok"
    snapshot = service.status()
    assert snapshot["state"] == "ready" and snapshot["loadError"] is None
    assert isinstance(snapshot["lastLatencyMs"], float)
    assert service.last_completion is result
    assert any("loaded" in line for line in recorder(service).logged)


async def test_a_failed_reload_keeps_the_working_model(service: ModelService,
                                                       settings: Settings,
                                                       tmp_path: Path) -> None:
    await service.load_model()
    engine = service.host.engine
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(3))
    service.update_settings(replace(settings, model_path=str(broken)))
    await asyncio.sleep(0)
    await wait_idle(service)
    assert service.host.engine is engine  # checked before the working model was let go
    status = service.status()
    assert status["state"] == "ready" and "broken.gguf" in str(status["loadError"])
    assert status["path"] == settings.model_path
    assert any(level is Level.WARNING and "still serving" in text
               for level, text in recorder(service).shown)
    assert (await service.complete(request())) is not None
    # The same settings again: not tried again. Back to the working model: loaded again.
    loads = len(recorder(service).progress)
    service.update_settings(replace(settings, model_path=str(broken)))
    await asyncio.sleep(0.05)
    assert len(recorder(service).progress) == loads
    service.update_settings(settings)
    await asyncio.sleep(0)
    await wait_idle(service)
    assert service.status()["loadError"] is None


async def test_a_load_that_fails_after_letting_go_loads_the_working_model_again(
        service: ModelService, settings: Settings, tiny_model: Path, tmp_path: Path) -> None:
    await service.load_model()
    half = tmp_path / "half.gguf"  # its header reads fine; its tensors are missing
    half.write_bytes(tiny_model.read_bytes()[:tiny_model.stat().st_size // 2])
    service.update_settings(replace(settings, model_path=str(half)))
    await asyncio.sleep(0)
    await wait_idle(service)
    assert service.ready and service.host.settings == settings
    assert "half.gguf" in service.host.status.load_error
    assert (await service.complete(request())) is not None


async def test_settings_that_need_no_reload_reach_the_pipeline(service: ModelService,
                                                               settings: Settings) -> None:
    await service.load_model()
    engine = service.host.engine
    service.update_settings(replace(settings, max_tokens=3, model_sha256=""))
    assert service.host.engine is engine and service.host.status.state == "ready"
    assert service.host.pipeline is not None and service.host.pipeline.settings.max_tokens == 3


async def test_a_model_file_rewritten_on_disk_is_loaded_again(settings: Settings,
                                                              tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    shutil.copy(settings.model_path, model)
    service = ModelService(replace(settings, model_path=str(model)), Recorder())
    try:
        await service.load_model()
        with model.open("r+b") as f:
            f.truncate(3000)
        assert await service.complete(request()) is None
        assert any("changed on disk" in text for _, text in recorder(service).shown)
        await asyncio.sleep(0)
        await wait_idle(service)
        assert service.host.status.state == "error"  # the working model's own file is gone
    finally:
        service.close()


async def test_fix_and_explain(service: ModelService, settings: Settings) -> None:
    with pytest.raises(ServiceUnavailable) as unavailable:
        await service.fix(FixRequest(AVERAGE_SOURCE, 0, 0), document="a")
    assert unavailable.value.reason == "no-model"
    await service.load_model()
    line = AVERAGE_SOURCE.index("return total")
    fix = await service.fix(FixRequest(AVERAGE_SOURCE, line, line, "python", "avg.py", (
        Problem("value is not defined", line, line + 10),)), document="file:///avg.py")
    assert fix is not None and fix.reason in ("ok", "unchanged", "syntax", "incomplete",
                                              "unrelated", "empty")
    assert "hearth: fixing" in recorder(service).progress
    ask = ExplainRequest(AVERAGE_SOURCE, line, line, "python", "avg.py")
    first = await service.explain(ask, document="file:///avg.py", hover=True)
    assert first is not None
    if first.reason == "ok":  # remembered: the second hover runs nothing
        started = service.worker.stats.started
        again = await service.explain(ask, document="file:///avg.py", hover=True)
        assert again is not None and again.markdown == first.markdown
        assert service.worker.stats.started == started
        service.update_settings(replace(settings, explain_max_tokens=100))
        service.host.assistant()  # rebuilt for the new settings: nothing remembered
        assert not service.host.explanations


async def test_cancelling_the_caller_stops_the_generation(settings: Settings,
                                                          endless_model: Path) -> None:
    service = ModelService(replace(settings, model_path=str(endless_model), max_tokens=30000,
                                   time_budget_ms=60000, context_size=32768), Recorder())
    try:
        await service.load_model()
        before = service.worker.stats.cancelled
        task = asyncio.ensure_future(service.complete(request()))
        while not service.worker.busy:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await wait_idle(service)
        assert service.worker.stats.cancelled == before + 1
        latency = service.worker.stats.last_stop_latency_ms
        assert latency is not None and latency < 250
    finally:
        service.close()


async def long_fix(settings: Settings, endless_model: Path
                   ) -> tuple[ModelService, asyncio.Future[FixResult | None]]:
    """A service on the model that never stops, running a fix of thousands of tokens."""
    service = ModelService(replace(settings, model_path=str(endless_model), fix_max_tokens=30000,
                                   context_size=32768, fix_method="rewrite"), Recorder())
    await service.load_model()
    line = AVERAGE_SOURCE.index("return total")
    fix = asyncio.ensure_future(service.fix(
        FixRequest(AVERAGE_SOURCE, line, line, "python", "avg.py"), document="a"))
    while not service.worker.busy:
        await asyncio.sleep(0.005)
    return service, fix


async def test_cancelling_the_progress_stops_a_fix(settings: Settings,
                                                   endless_model: Path) -> None:
    service, task = await long_fix(settings, endless_model)
    try:
        cancel = recorder(service).cancel_progress
        assert cancel is not None
        cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await wait_idle(service)
        assert service.worker.stats.cancelled >= 1
    finally:
        service.close()


async def test_a_completion_goes_first_while_a_fix_runs(settings: Settings,
                                                        endless_model: Path) -> None:
    service, fix = await long_fix(settings, endless_model)
    try:
        await asyncio.sleep(0.2)
        result = await asyncio.wait_for(service.complete(request()), 5)
        assert result is not None and result.text  # answered by a generation...
        assert not fix.done()  # ...while the fix still has thousands of tokens to go
        fix.cancel()
        with pytest.raises(asyncio.CancelledError):
            await fix
    finally:
        service.close()
