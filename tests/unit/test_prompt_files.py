"""Prompt files are read with limits: regular files only (never waiting on a FIFO), bounded
size, bounded TOML nesting and a time limit."""

from __future__ import annotations

import os
import threading
import time
import tomllib
from pathlib import Path

import pytest

from lsp_server.instructions import load_instruction
from lsp_server.prompt_files import (
    MAX_NESTING,
    PromptFileError,
    check_nesting,
    read_limited,
    within_time_limit,
)
from lsp_server.prompts import PromptError, completion_templates


def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "fix.toml"
    os.mkfifo(fifo)
    began = time.monotonic()
    with pytest.raises(PromptFileError, match="not a regular file"):
        read_limited(fifo)
    assert time.monotonic() - began < 1
    with pytest.raises(PromptError, match=r"fix.toml: not a regular file \(hearth.promptsDir\)"):
        load_instruction("fix", str(tmp_path))


def test_a_folder_named_like_a_template_is_refused(tmp_path: Path) -> None:
    (tmp_path / "completion" / "odd.toml").mkdir(parents=True)
    with pytest.raises(PromptError, match=r"odd\.toml: not a regular file"):
        completion_templates(str(tmp_path))


def test_size_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * 2049)
    assert read_limited(path, max_bytes=4096) == "#" * 2049
    with pytest.raises(PromptFileError, match="larger than 2 KB"):
        read_limited(path, max_bytes=2048)


@pytest.mark.parametrize("text", [
    'a = "[[[[[[[["\n', "a = '{{{{{{{{{'\n", 'a = """\n[[[[[[[[\n"""\n',
    "a = '''[[[[[[[[[['''\n", "# [[[[[[[[[[[[\nb = 1\n", 'a = "\\"[[[[[[[[["\n',
    "[table]\n[[array.of.tables]]\nx = [[1, 2], [3]]\n",
])
def test_brackets_in_strings_and_comments_do_not_count(text: str) -> None:
    tomllib.loads(text)  # valid TOML
    check_nesting(text, limit=3)


def test_deep_nesting_is_refused_before_the_parser_recurses() -> None:
    check_nesting("x = " + "[" * MAX_NESTING + "]" * MAX_NESTING)
    for opener, closer in (("[", "]"), ("{a=", "}")):
        deep = "x = " + opener * 50_000 + closer * 50_000
        with pytest.raises(PromptFileError, match=f"nested deeper than {MAX_NESTING}"):
            check_nesting(deep)


def test_deep_nesting_in_a_prompts_dir_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "completion"
    folder.mkdir()
    (folder / "deep.toml").write_text('family = "x"\ntemplate = "{prefix}"\nx = '
                                      + "[" * 5000 + "]" * 5000)
    with pytest.raises(PromptError, match=r"deep.toml: nested deeper than 64 levels"
                                          r" \(hearth.promptsDir\)"):
        completion_templates(str(tmp_path))


def test_a_read_that_hangs_is_given_up_after_the_time_limit() -> None:
    release = threading.Event()
    began = time.monotonic()
    with pytest.raises(PromptFileError, match=r"not read within 0\.2 s"):
        within_time_limit(lambda: release.wait(30), limit_s=0.2)
    assert time.monotonic() - began < 2
    release.set()
    assert within_time_limit(lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        within_time_limit(lambda: 1 // 0)


def test_the_bundled_prompts_are_within_the_limits() -> None:
    assert {t.family for t in completion_templates()} >= {"base"}
    load_instruction("fix")
    load_instruction("explain")


@pytest.mark.parametrize("text", [
    'x = ["""a""""' + ", [" * 70 + "]" * 71 + "\n",  # a quote of the text, then the closing
    "x = ['''a'''''" + ", [" * 70 + "]" * 71 + "\n",
    'x = ["a\\"", ' + "[" * 70 + "]" * 71 + "\n",
])
def test_deep_nesting_after_a_string_still_counts(text: str) -> None:
    with pytest.raises(PromptFileError, match="nested deeper"):
        check_nesting(text)


def test_an_unclosed_string_costs_no_backtracking() -> None:
    began = time.monotonic()
    for tail in ("\\\n", "\\", ""):
        check_nesting('a = "' + "x" * 100_000 + tail)
        check_nesting('a = """' + "x" * 100_000 + tail)
    assert time.monotonic() - began < 1
