"""Repository-level fill-in-the-middle: for a model of each family (a tiny GGUF carrying that
family's tokens, loaded by llama.cpp), the exact prompt the completion pipeline builds from a
workspace with another file, in the layout the family was trained on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.config import Settings
from lsp_server.context import line_starts_of
from lsp_server.engines.base import CancelToken
from lsp_server.index import WorkspaceIndex
from lsp_server.models import load_engine
from lsp_server.pipeline import CompletionPipeline, CompletionRequest
from lsp_server.prompts import choose_completion_template, completion_templates
from lsp_server.workspace_files import FileRules
from tests.tiny_gguf import write_tiny_gguf

PRICING = ('"""Prices."""\n\n\ndef net_price(gross: float, vat: float) -> float:\n'
           '    """The price without value-added tax."""\n    return gross / (1 + vat)\n')
IMPORT = "from pricing import net_price\n"
# Enough lines between the import and the cursor that the import falls out of the window and
# reaches the model as this file's own context.
FILLER = "".join(f'ZONE_{n} = "zone number {n}"\n' for n in range(24))
CART = (IMPORT + "\n" + FILLER + "\n\ndef cart_total(items, vat):\n"
        "    return sum(net_price(")
AFTER = "item, vat) for item in items)\n"
# The other file as the model sees it: the signature and docstring of what this file uses.
STUB = ('def net_price(gross: float, vat: float) -> float:\n'
        '    """The price without value-added tax."""\n    ...\n')

QWEN = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|repo_name|>",
        "<|file_sep|>")
STARCODER = ("<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<fim_pad>")
# family: (architecture, the model's special tokens, the prompt with {P} and {S} for the
# prefix and suffix windows)
FAMILIES = {
    "qwen2.5-coder": ("qwen2", QWEN,
                      f"<|repo_name|>shop\n<|file_sep|>pricing.py\n{STUB}<|file_sep|>cart.py\n"
                      f"<|fim_prefix|>{IMPORT}{{P}}<|fim_suffix|>{{S}}<|fim_middle|>"),
    "starcoder2": ("starcoder2", (*STARCODER, "<repo_name>", "<file_sep>"),
                   f"<repo_name>shop<file_sep>pricing.py\n{STUB}<file_sep><fim_prefix>cart.py\n"
                   f"{IMPORT}{{P}}<fim_suffix>{{S}}<fim_middle>"),
    "codegemma": ("gemma", ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
                            "<|file_separator|>"),
                  f"pricing.py\n{STUB}<|file_separator|>cart.py\n"
                  f"<|fim_prefix|>{IMPORT}{{P}}<|fim_suffix|>{{S}}<|fim_middle|>"),
    "deepseek-coder": ("llama", ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
                       f"<｜fim▁begin｜># pricing.py\n{STUB}\n# cart.py\n"
                       f"{IMPORT}{{P}}<｜fim▁hole｜>{{S}}<｜fim▁end｜>"),
    "codellama": ("llama", ("▁<PRE>", "▁<SUF>", "▁<MID>", "▁<EOT>"),
                  f"▁<PRE># pricing.py\n{STUB}\n# cart.py\n{IMPORT}{{P}}▁<SUF>{{S}}▁<MID>"),
    "starcoder": ("starcoder2", STARCODER,  # StarCoder2's FIM tokens without its repo tokens
                  f"<fim_prefix># pricing.py\n{STUB}\n# cart.py\n"
                  f"{IMPORT}{{P}}<fim_suffix>{{S}}<fim_middle>"),
    # A base model keeps cross-file context as comments before the code, and no suffix.
    "base": ("llama", (), f"# pricing.py\n{STUB}\n# cart.py\n{IMPORT}{{P}}"),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, WorkspaceIndex]]:
    root = tmp_path_factory.mktemp("repo") / "shop"
    root.mkdir()
    (root / "pricing.py").write_text(PRICING)
    (root / "cart.py").write_text(CART + AFTER)
    index = WorkspaceIndex()
    index.start(FileRules([str(root)]))
    assert index.wait_idle(30)
    yield root, index
    index.close()


@pytest.mark.parametrize("family", list(FAMILIES))
def test_exact_prompt_of_each_family(family: str, workspace: tuple[Path, WorkspaceIndex],
                                     tmp_path: Path) -> None:
    root, index = workspace
    architecture, tokens, expected = FAMILIES[family]
    model = write_tiny_gguf(tmp_path / f"{family}.gguf", architecture=architecture,
                            extra_special=tokens)
    settings = Settings(model_path=str(model), threads=1, max_tokens=4, prompt_tokens=800)
    engine = load_engine(settings)
    try:
        template = choose_completion_template(completion_templates(), engine.info, engine)
        assert template.family == family
        pipeline = CompletionPipeline(engine, template, settings, index)
        text = CART + AFTER
        result = pipeline.complete(CompletionRequest(
            uri=(root / "cart.py").as_uri(), text=text, offset=len(CART),
            line_starts=line_starts_of(text), language_id="python", path="cart.py",
            invoked=True), CancelToken())
    finally:
        engine.close()
    prompt = result.prompt
    assert prompt is not None and result.generation is not None
    prefix, suffix = prompt.field("prefix"), prompt.field("suffix") or ""
    # The window ends at the cursor and leaves the import out; the suffix starts after it.
    assert prefix and CART.endswith(prefix) and IMPORT not in prefix
    assert suffix == (AFTER if template.fim else "")
    assert prompt.text == expected.replace("{P}", prefix).replace("{S}", suffix)
    if template.repo_level:  # what llama.cpp's /infill gets instead of the markup
        assert prompt.files == (("pricing.py", STUB),)
        assert prompt.field("context") == IMPORT
    # The markers come from the template only: document text carries none of them.
    assert all(not any(token in part for token in tokens)
               for part, markup in prompt.parts if not markup)
