"""Completion templates: loading, choice by model metadata, rendering into markup/text parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.engines.base import (
    CancelToken,
    Generation,
    GenerationParams,
    ModelInfo,
    Prompt,
)
from lsp_server.prompts import PromptError, choose_completion_template, completion_templates


class VocabOnly:
    """Answers vocabulary questions only: template choice needs nothing else."""

    def __init__(self, architecture: str, tokens: set[str], name: str = "") -> None:
        self.info = ModelInfo(path="m.gguf", engine="test", architecture=architecture, name=name)
        self._tokens = tokens

    def count_tokens(self, text: str) -> int:
        return len(text)

    def is_special_token(self, text: str) -> bool:
        return text in self._tokens

    def generate(self, prompt: Prompt, params: GenerationParams, cancel: CancelToken
                 ) -> Generation:
        raise AssertionError("not used")

    def close(self) -> None:
        pass


FIM = {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"}
QWEN = FIM | {"<|repo_name|>", "<|file_sep|>"}
GEMMA = FIM | {"<|file_separator|>"}
STARCODER = {"<fim_prefix>", "<fim_suffix>", "<fim_middle>"}
CASES = [
    ("qwen2", QWEN, "qwen2.5-coder"),
    ("qwen2", FIM, "base"),  # without the repository tokens its layout cannot be written
    ("gemma", GEMMA, "codegemma"),
    ("gemma3", GEMMA, "base"),  # Gemma 3 has the tokens but was not trained to infill
    ("starcoder2", STARCODER | {"<repo_name>", "<file_sep>"}, "starcoder2"),
    ("starcoder2", STARCODER, "starcoder"),
    ("starcoder", STARCODER, "starcoder"),
    ("llama", {"<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"}, "deepseek-coder"),
    ("llama", {"▁<PRE>", "▁<SUF>", "▁<MID>"}, "codellama"),
    ("llama", set(), "base"),
    ("qwen2", set(), "base"),  # a Qwen chat model without FIM tokens
]


@pytest.mark.parametrize(("arch", "tokens", "family"), CASES)
def test_template_choice(arch: str, tokens: set[str], family: str) -> None:
    engine = VocabOnly(arch, tokens)
    chosen = choose_completion_template(completion_templates(), engine.info, engine)
    assert chosen.family == family


def test_explicit_choice_and_unknown_name() -> None:
    engine = VocabOnly("llama", set())
    templates = completion_templates()
    assert choose_completion_template(templates, engine.info, engine, "starcoder").family == \
        "starcoder"
    with pytest.raises(PromptError, match="no completion template named"):
        choose_completion_template(templates, engine.info, engine, "gpt-9")


def test_render_separates_markup_from_document_text() -> None:
    engine = VocabOnly("qwen2", QWEN)
    template = choose_completion_template(completion_templates(), engine.info, engine)
    prompt = template.render_files([("b.py", "B = '<|file_sep|>'\n")], {
        "repo": "r", "path": "a.py", "context": "import b\n", "prefix": "x = <|fim_suffix|>",
        "suffix": "\n"})
    assert prompt.parts == (
        ("<|repo_name|>", True), ("r", False), ("\n", True),
        ("<|file_sep|>", True), ("b.py", False), ("\n", True), ("B = '<|file_sep|>'\n", False),
        ("<|file_sep|>", True), ("a.py", False), ("\n<|fim_prefix|>", True),
        ("import b\n", False), ("x = <|fim_suffix|>", False),
        ("<|fim_suffix|>", True), ("\n", False), ("<|fim_middle|>", True))
    assert prompt.files == (("b.py", "B = '<|file_sep|>'\n"),)
    assert prompt.field("context") == "import b\n" and template.fim and template.repo_level


def test_user_folder_overrides_a_family(tmp_path: Path) -> None:
    folder = tmp_path / "completion"
    folder.mkdir()
    (folder / "mine.toml").write_text(
        'family = "base"\ntemplate = "### {path}\\n{prefix}"\n', encoding="utf-8")
    base = {t.family: t for t in completion_templates(str(tmp_path))}["base"]
    assert base.template.startswith("###") and str(tmp_path) in base.source


@pytest.mark.parametrize("text", ['family = "x"\n',
                                  'family = "x"\ntemplate = "{files}{prefix}"\n',
                                  'family = "x"\ntemplate = "{prefix}"\nfile = "{text}"\n'])
def test_malformed_user_template_is_an_error(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "completion"
    folder.mkdir()
    (folder / "bad.toml").write_text(text, encoding="utf-8")
    with pytest.raises(PromptError, match="malformed"):
        completion_templates(str(tmp_path))
