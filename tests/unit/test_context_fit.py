"""hearth.contextSize against the model's GGUF header and the machine's memory, before any
allocation: lowered to the trained context, refused when the KV cache cannot fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.config import Settings
from lsp_server.context_fit import ContextTooLarge, available_memory, fit_context, model_memory
from tests.tiny_gguf import write_tiny_gguf

GB = 1 << 30


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Header: trained for 1,048,576 tokens, 64 KB of f16 KV cache per token."""
    return write_tiny_gguf(tmp_path_factory.mktemp("wide") / "wide.gguf",
                           context_length=1 << 20, head_dim=2048)


def test_the_kv_cache_is_estimated_from_the_header(wide: Path) -> None:
    small = model_memory(Settings(model_path=str(wide), context_size=1024))
    big = model_memory(Settings(model_path=str(wide), context_size=2048))
    # 2 layers x 4 KV heads x (2048 + 2048) x 2 bytes per token
    assert big - small == 1024 * 2 * 4 * 4096 * 2


def test_a_context_that_fits_is_kept(wide: Path) -> None:
    settings = Settings(model_path=str(wide), context_size=8192)
    assert fit_context(settings, available=8 * GB).settings == settings


def test_one_that_does_not_fit_is_refused_by_name(wide: Path) -> None:
    settings = Settings(model_path=str(wide), context_size=1 << 20)
    with pytest.raises(ContextTooLarge) as caught:
        fit_context(settings, available=8 * GB)
    message = str(caught.value)
    assert message.startswith("hearth.contextSize: 1048576 tokens need about 68.7 GB of KV")
    assert "8.6 GB available" in message
    # memory the model in use gives back counts
    fit_context(settings, available=8 * GB, freed=64 * GB)


def test_more_than_the_trained_context_is_lowered(tiny_model: Path) -> None:
    fitted = fit_context(Settings(model_path=str(tiny_model), context_size=1 << 20),
                         available=8 * GB)
    assert fitted.settings.context_size == 4096
    assert fitted.note == ("hearth.contextSize: 1048576 tokens is more than hearth tiny test"
                           " model was trained for; using 4096")


def test_servers_and_unreadable_files_are_left_to_the_load(tmp_path: Path) -> None:
    http = Settings(engine="http", server_url="http://127.0.0.1:1", context_size=1 << 20)
    assert fit_context(http, available=1).settings == http
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    broken = Settings(model_path=str(text), context_size=1 << 20)
    assert fit_context(broken, available=1).settings == broken


def test_available_memory_is_read_from_this_machine() -> None:
    assert available_memory() > 64 << 20


def test_at_the_default_context_or_below_nothing_is_refused(wide: Path) -> None:
    # what does not fit then is the model itself, not the setting: the load says so
    settings = Settings(model_path=str(wide), context_size=4096)
    assert fit_context(settings, available=1 << 20).settings == settings


def test_the_default_is_lowered_for_a_short_model_without_a_note(tmp_path: Path) -> None:
    short = write_tiny_gguf(tmp_path / "short.gguf", context_length=2048)
    fitted = fit_context(Settings(model_path=str(short)), available=8 * GB)
    assert fitted.settings.context_size == 2048 and fitted.note == ""
