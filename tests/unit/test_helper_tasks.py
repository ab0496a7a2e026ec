"""The project-helper tasks of ``make eval`` (bench/project-helpers) are sound: each checker
passes on the repository as written, and fails when the right line does not use the helper
(a plausible bare completion, given per task), so a pass means the helper was used right; for
the controls, it fails when the line calls the helper."""

from __future__ import annotations

import shutil
import tomllib

import pytest

from scripts.eval_helpers import TASKS, HelperTask, load, passes

ALL = load(TASKS)


def test_there_are_at_least_thirty_tasks_in_two_languages_and_some_controls() -> None:
    helpers = [task for task in ALL if not task.control]
    assert len(helpers) >= 30 and {"python", "javascript"} <= {t.language_id for t in helpers}
    assert len({task.helper for task in helpers}) >= 30  # different helpers, not one repeated
    controls = [task for task in ALL if task.control]
    assert len(controls) >= 6 and {"python", "javascript"} <= {t.language_id for t in controls}


@pytest.mark.parametrize("task", ALL, ids=[t.name for t in ALL])
def test_checker_passes_the_right_line_and_fails_the_wrong_one(task: HelperTask) -> None:
    if task.check[0] == "node" and shutil.which("node") is None:
        pytest.fail("node is needed for the JavaScript tasks (make install provides it)")
    wrong = tomllib.loads((task.folder / "task.toml").read_text())["wrong"]
    document, cursor = task.document()
    assert document[cursor:].startswith("\n")  # the cursor is at the end of the cut line
    assert passes(task, document, cursor, task.line[len(task.typed):])
    assert not passes(task, document, cursor, wrong)
    assert task.helper not in document[cursor:]  # the rest of the file does not give it away
    assert (task.helper in wrong) == task.control
