"""The lint tools and type stubs are pinned exactly, and `make install` installed those: a new
release of ruff, mypy or a stub package cannot fail `make lint` on code that did not change."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version

from tests.conftest import ROOT

LINT = re.compile(r"^(ruff|mypy|types-[\w-]+)\b")


def test_lint_tools_are_pinned_and_installed_at_their_pins() -> None:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["dev"]
    pins = {match.group(1): spec for spec in dev if (match := LINT.match(spec))}
    assert {"ruff", "mypy"} <= set(pins) and any(name.startswith("types-") for name in pins)
    for name, spec in pins.items():
        assert re.fullmatch(rf"{re.escape(name)}==[\w.]+", spec), spec
        assert version(name) == spec.split("==")[1], f"{name} {version(name)}: run make install"
