"""Fixtures shared by every test: real GGUF models (a tiny generated one and the embedded one)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.offline import enforce_offline_environment
from tests.tiny_gguf import write_tiny_gguf

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

enforce_offline_environment()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def tiny_model(model_dir: Path) -> Path:
    """A 0.5 MB llama model: loads in milliseconds, generates thousands of tokens a second."""
    return write_tiny_gguf(model_dir / "tiny.gguf")


@pytest.fixture(scope="session")
def endless_model(model_dir: Path) -> Path:
    """Never ends a line nor emits EOS: a generation runs until it is stopped."""
    return write_tiny_gguf(model_dir / "endless.gguf", context_length=32768,
                           allow_newlines=False)


@pytest.fixture(scope="session")
def embedded_model() -> Iterator[Path]:
    from lsp_server.models import embedded_model_path

    yield embedded_model_path()


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user config file can leak into a test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def server_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
