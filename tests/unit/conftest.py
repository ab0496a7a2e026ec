"""Shared by the unit tests that run the tiny real GGUF model: the engine and a buggy file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.config import Settings
from lsp_server.engines.base import Engine
from lsp_server.models import load_engine

# ``value`` is undefined on the return line.
AVERAGE_SOURCE = """import math


def average(values):
    total = 0
    for v in values:
        total += v
    return total / len(value)


print(average([1, 2]))
"""


@pytest.fixture(scope="module")
def engine(tiny_model: Path) -> Iterator[Engine]:
    loaded = load_engine(Settings(model_path=str(tiny_model), threads=1))
    yield loaded
    loaded.close()
