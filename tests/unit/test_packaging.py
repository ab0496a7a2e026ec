"""Every package of the server is in the wheel: pyproject.toml lists them by hand (the prompt
templates are mapped in as a data package), so a new subpackage must be added there, or a
non-editable install (`pip install .`, a wheel for an offline machine) lacks it."""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT


def test_every_subpackage_is_packaged() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "lsp_server").rglob("__init__.py")}
    assert found - listed == set()
