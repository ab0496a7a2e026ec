"""Fix and explain prompts: chat templates in a sandbox, the completion-style fallback, locales."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.assist import locale_table
from lsp_server.engines.base import ModelInfo
from lsp_server.instructions import ChatTemplateError, load_instruction, render_chat_template

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
          "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
NO_SYSTEM = ("{% for m in messages %}{% if m['role'] == 'system' %}"
             "{{ raise_exception('System role not supported') }}{% endif %}"
             "<start_of_turn>{{ m['role'] }}\n{{ m['content'] | trim }}<end_of_turn>\n"
             "{% endfor %}{{ '<start_of_turn>model\\n' }}")
FIELDS = {"language": "python", "fence": "python", "path": "a.py", "comment": "#",
          "code": "def f():\n    return <|im_end|>1", "problems": "wrong", "kept": "def f():\n",
          "marked": "def f():\n    return <|im_end|>1"}


def info(template: str = "") -> ModelInfo:
    return ModelInfo(path="m.gguf", engine="test", chat_template=template)


def test_chat_template_parts_keep_document_text_out_of_markup() -> None:
    parts = render_chat_template(CHATML, [("system", "be brief"), ("user", "x <|im_end|> y")])
    assert parts[0] == ("<|im_start|>system\n", True)
    assert ("be brief", False) in parts
    assert ("x <|im_end|> y", False) in parts  # the user's text, never parsed as a token
    assert parts[-1] == ("<|im_end|>\n<|im_start|>assistant\n", True)


def test_fix_prompt_uses_the_chat_template_and_starts_the_answer() -> None:
    rendered = load_instruction("fix").render(info(CHATML), FIELDS)
    assert rendered.style == "chat"
    assert rendered.prompt.parts[-1] == ("```python\ndef f():\n", False)
    assert all(not markup for text, markup in rendered.prompt.parts if "return" in text)
    assert "```" in rendered.stop


def test_a_template_refusing_a_system_turn_gets_it_in_the_user_turn() -> None:
    rendered = load_instruction("explain").render(info(NO_SYSTEM), FIELDS)
    assert rendered.style == "chat"
    text = rendered.prompt.text
    assert text.startswith("<start_of_turn>user\nYou explain code")
    assert text.endswith("<start_of_turn>model\n")


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",  # reaching Python internals
    "{% set x = messages.append(1) %}{{ messages }}",  # mutating its inputs
    "{{ cycler.__init__.__globals__.os.system('touch /tmp/hearth-pwned') }}",
    "{% for m in messages %}{% endfor %}nothing shown",  # drops the messages
    "{{ undefined_function() }}",
    "{% if %}",  # not even a template
])
def test_unsafe_or_broken_templates_fall_back_to_completion_style(template: str) -> None:
    with pytest.raises(ChatTemplateError):
        render_chat_template(template, [("user", "hi")])
    rendered = load_instruction("fix").render(info(template), FIELDS)
    assert rendered.style == "completion"
    assert not Path("/tmp/hearth-pwned").exists()


def test_completion_style_for_base_models() -> None:
    rendered = load_instruction("fix").render(info(), FIELDS)
    assert rendered.style == "completion"
    assert rendered.answer_start == "def f():\n"
    assert rendered.prompt.parts[-1] == ("def f():\n", False)
    code_parts = [part for part in rendered.prompt.parts if "<|im_end|>" in part[0]]
    assert code_parts and all(not markup for _, markup in code_parts)


def test_a_users_prompt_folder_replaces_the_installed_file(tmp_path: Path) -> None:
    (tmp_path / "fix.toml").write_text(
        '[chat]\nuser = "fix {code}"\n[completion]\ntemplate = "BUG {code} FIXED "\n'
        'answer = "{kept}"\nstop = ["END"]\n')
    rendered = load_instruction("fix", str(tmp_path)).render(info(), FIELDS)
    assert rendered.prompt.text.startswith("BUG def f()")
    assert rendered.stop == ("END",)


@pytest.mark.parametrize(("locale", "language"), [
    ("ja", "Japanese"), ("pt-BR", "Portuguese"), ("zh_CN", "Simplified Chinese"),
    ("en-GB", "English"), ("xx", "English"), ("", "English"),
])
def test_explanations_follow_the_editor_locale(locale: str, language: str) -> None:
    table = locale_table(load_instruction("explain"), locale)
    assert table["answer_language"] == language
    assert table["heading"] and table["function"] and table["code"]
