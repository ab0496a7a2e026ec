"""Project context: scope chain, imports, symbols through the index, similar snippets; within
budget, never repeating the prompt, stable from keystroke to keystroke."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lsp_server.context import TokenCounter, Window, cursor_window, line_starts_of
from lsp_server.index import WorkspaceIndex
from lsp_server.project_context import ContextBuilder
from lsp_server.syntax_trees import Parsed
from lsp_server.workspace_files import FileRules

KEYS = ('"""Account keys."""\n\n\ndef canonical_mailbox_key(address: str) -> str:\n'
        '    """Lower-cased mailbox with the +tag removed."""\n'
        '    user, _, domain = address.partition("@")\n'
        '    return user.split("+")[0].lower() + "@" + domain.lower()\n\n\n'
        'def _private_helper():\n    pass\n')
FILLER = "".join(f"        step_{i} = {i}\n" for i in range(60))
MAIN = ("import logging\nfrom accounts import keys\n\nlog = logging.getLogger(__name__)\n\n\n"
        "class Registry:\n    \"\"\"Users by mailbox.\"\"\"\n\n"
        "    def register(self, email):\n" + FILLER + "        key = keys.")


@dataclass(frozen=True)
class Site:
    uri: str
    text: str
    offset: int
    language_id: str = "python"
    path: str = "app/main.py"


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[tuple[Path, WorkspaceIndex]]:
    root = tmp_path / "ws"
    (root / "accounts").mkdir(parents=True)
    (root / "accounts" / "__init__.py").write_text("")
    (root / "accounts" / "keys.py").write_text(KEYS)
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text(MAIN)
    (root / ".env").write_text("def canonical_secret():\n    return 'hunter2'\n")
    index = WorkspaceIndex()
    index.start(FileRules([str(root)]))
    assert index.wait_idle(30)
    yield root, index
    index.close()


def window_for(text: str, offset: int, prefix_budget: int = 200) -> Window:
    return cursor_window(text, offset, line_starts_of(text), TokenCounter(words),
                         prefix_budget, 50)


def test_context_brings_the_imported_modules_signatures_scope_and_imports(
        workspace: tuple[Path, WorkspaceIndex]) -> None:
    root, index = workspace
    site = Site((root / "app" / "main.py").as_uri(), MAIN, len(MAIN))
    parsed = Parsed.parse(MAIN, "python")
    window = window_for(MAIN, len(MAIN), prefix_budget=60)
    assert "class Registry" not in window.prefix  # the window alone would not show the scope
    context = ContextBuilder(index).build(site, parsed, window, 400, TokenCounter(words))
    text = context.text
    assert "# accounts/keys.py\n" in text
    assert "def canonical_mailbox_key(address: str) -> str:" in text
    assert "Lower-cased mailbox with the +tag removed." in text
    assert text.index("canonical_mailbox_key") < text.index("# app/main.py")  # others first
    assert "import logging\nfrom accounts import keys\n" in text
    assert "class Registry:\n    def register(self, email):\n" in text  # the scope chain
    assert text.endswith("    def register(self, email):\n")  # leads into the window
    assert "hunter2" not in text and "canonical_secret" not in text
    assert context.tokens <= 400


def test_nothing_already_in_the_window_is_repeated(
        workspace: tuple[Path, WorkspaceIndex]) -> None:
    root, index = workspace
    small = "import logging\n\n\ndef helper(x):\n    return x\n\n\ndef run():\n    helper("
    site = Site((root / "app" / "small.py").as_uri(), small, len(small))
    window = window_for(small, len(small))
    assert window.prefix == small
    context = ContextBuilder(index).build(site, Parsed.parse(small, "python"), window, 400,
                                          TokenCounter(words))
    assert context.text == "# app/main.py\n"  # only the file header: the rest is in the window


def test_budget_is_respected_and_choices_are_sticky(
        workspace: tuple[Path, WorkspaceIndex]) -> None:
    root, index = workspace
    uri = (root / "app" / "main.py").as_uri()
    builder = ContextBuilder(index)
    parsed = Parsed.parse(MAIN, "python")
    window = window_for(MAIN, len(MAIN), prefix_budget=60)
    tight = builder.build(Site(uri, MAIN, len(MAIN)), parsed, window, 25, TokenCounter(words))
    assert tight.tokens <= 25
    full = builder.build(Site(uri, MAIN, len(MAIN)), parsed, window, 400, TokenCounter(words))
    typed = MAIN + "canonical_mailbox_key(email)"
    again = builder.build(Site(uri, typed, len(typed)), Parsed.parse(typed, "python"),
                          window_for(typed, len(typed), prefix_budget=60), 400,
                          TokenCounter(words))
    assert again.text == full.text  # one more word typed: the same context, the KV cache holds


def test_symbols_defined_in_the_same_file_outside_the_window(
        workspace: tuple[Path, WorkspaceIndex]) -> None:
    root, index = workspace
    text = ('def slugify(title: str) -> str:\n    """URL-safe form of a title."""\n'
            '    return title.lower()\n\n' + "x = 1\n" * 80 + "path = '/' + slugify(")
    site = Site((root / "app" / "pages.py").as_uri(), text, len(text))
    window = window_for(text, len(text), prefix_budget=40)
    context = ContextBuilder(index).build(site, Parsed.parse(text, "python"), window, 400,
                                          TokenCounter(words))
    assert 'def slugify(title: str) -> str:\n    """URL-safe form of a title."""' in context.text


def test_similar_code_from_open_files(workspace: tuple[Path, WorkspaceIndex]) -> None:
    root, index = workspace
    other = ("def invoice_total(order, discount_rate):\n"
             "    subtotal = sum(line.amount * line.quantity for line in order.lines)\n"
             "    shipping = order.shipping_fee if subtotal < 100 else 0\n"
             "    return subtotal * (1 - discount_rate) + shipping\n")
    parsed_other = Parsed.parse(other, "python")
    assert parsed_other is not None
    index.document_changed(str(root / "app" / "billing.py"), parsed_other)
    assert index.wait_idle(10)
    text = ("def quote_total(order, discount_rate):\n"
            "    subtotal = sum(line.amount * line.quantity for line in order.lines)\n"
            "    shipping = ")
    site = Site((root / "app" / "quotes.py").as_uri(), text, len(text))
    context = ContextBuilder(index).build(site, Parsed.parse(text, "python"),
                                          window_for(text, len(text)), 400, TokenCounter(words))
    assert "# app/billing.py\n" in context.text
    assert "order.shipping_fee if subtotal < 100 else 0" in context.text
