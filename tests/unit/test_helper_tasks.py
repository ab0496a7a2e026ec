"""The project-helper tasks of ``make eval`` (bench/project-helpers) are sound: each checker
passes on the repository as written, and fails when the right line does not use the helper
(a plausible bare completion, given per task), so a pass means the helper was used right."""

from __future__ import annotations

import shutil
import tomllib

import pytest

from scripts.eval_helpers import TASKS, HelperTask, load, passes

ALL = load(TASKS)


def test_there_are_at_least_thirty_tasks_in_two_languages() -> None:
    languages = {task.language_id for task in ALL}
    assert len(ALL) >= 30 and {"python", "javascript"} <= languages
    assert len({task.helper for task in ALL}) >= 30  # different helpers, not one repeated


@pytest.mark.parametrize("task", ALL, ids=[t.name for t in ALL])
def test_checker_passes_the_right_line_and_fails_the_bare_one(task: HelperTask) -> None:
    if task.check[0] == "node" and shutil.which("node") is None:
        pytest.fail("node is needed for the JavaScript tasks (make install provides it)")
    wrong = tomllib.loads((task.folder / "task.toml").read_text())["wrong"]
    document, cursor = task.document()
    assert document[cursor:].startswith("\n")  # the cursor is at the end of the cut line
    assert passes(task, document, cursor, task.line[len(task.typed):])
    assert not passes(task, document, cursor, wrong)
    assert task.helper not in document[cursor:]  # the rest of the file does not give it away
