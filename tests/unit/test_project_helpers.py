"""Which calls to the project's functions are worth trying at the cursor, and whether a call
passes what the function asks for (a real workspace index over files on disk; no model)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.index import WorkspaceIndex
from lsp_server.project_helpers import Helper, call_fits, find
from lsp_server.syntax_trees import Parsed
from lsp_server.workspace_files import FileRules

EMAILS = ('def normalise_email_address(address: str) -> str:\n'
          '    """The canonical form of an email address."""\n    return address.lower()\n\n\n'
          'def mask_phone(number: str, keep: int = 2) -> str:\n'
          '    """A phone number with all but its last digits hidden."""\n    return number\n')
RECORD = ('class Record:\n    def __init__(self, **fields):\n        self.fields = fields\n\n'
          '    def require_field(self, name):\n        """A field that must be there."""\n'
          '        return self.fields[name]\n\n    def _private(self):\n        pass\n')
CART = ('export class Cart {\n  constructor() { this.lines = new Map(); }\n\n'
        '  /** Put units of a product in the cart. */\n  addItem(sku, quantity) {}\n\n'
        '  removeItem(sku) {}\n}\n\n/** Title case. */\nexport function toTitle(text) {}\n')


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[tuple[Path, WorkspaceIndex]]:
    root = tmp_path / "ws"
    (root / "accounts").mkdir(parents=True)
    (root / "accounts" / "__init__.py").write_text("")
    (root / "accounts" / "emails.py").write_text(EMAILS)
    (root / "accounts" / "record.py").write_text(RECORD)
    (root / "web").mkdir()
    (root / "web" / "cart.js").write_text(CART)
    index = WorkspaceIndex()
    index.start(FileRules([str(root)]))
    assert index.wait_idle(30)
    yield root, index
    index.close()


def helpers_at(root: Path, index: WorkspaceIndex, rel: str, text: str,
               language_id: str = "python") -> tuple[Helper, ...]:
    """The helpers at the end of the first line holding "|" (the cursor)."""
    offset = text.index("|")
    text = text.replace("|", "")
    path = root / rel
    parsed = Parsed.parse(text, language_id)
    return find(text, offset, language_id, str(path), parsed, index,
                parsed.symbols if parsed else ())


def test_an_imported_function_not_used_yet_is_offered_best_match_first(
        workspace: tuple[Path, WorkspaceIndex]) -> None:
    root, index = workspace
    text = ("from accounts.emails import mask_phone, normalise_email_address\n\n\n"
            "def register(users, name, email):\n    \"\"\"Keep a user's email address.\"\"\"\n"
            "    users[name] = |\n")
    found = helpers_at(root, index, "app.py", text)
    assert [h.call for h in found] == ["normalise_email_address(", "mask_phone("]
    assert found[0].source == "accounts/emails.py" and found[0].relevance > found[1].relevance
    # Typed already: the rest of its name.
    assert [h.call for h in helpers_at(root, index, "app.py", text.replace("= |", "= norm|"))
            ] == ["alise_email_address("]
    used = text + "\n\ndef other(e):\n    return normalise_email_address(e)\n"
    assert [h.call for h in helpers_at(root, index, "app.py", used)] == ["mask_phone("]
    # Not where no expression starts, nor mid-line before code.
    assert helpers_at(root, index, "app.py", text.replace("= |", "|= ")) == ()
    assert helpers_at(root, index, "app.py", text.replace("= |", "= users|")) == ()


def test_an_imported_module_offers_its_functions(
        workspace: tuple[Path, WorkspaceIndex]) -> None:
    root, index = workspace
    text = "from accounts import emails\n\n\ndef hide(number):\n    return |\n"
    calls = [h.call for h in helpers_at(root, index, "app.py", text)]
    assert set(calls) == {"emails.mask_phone(", "emails.normalise_email_address("}
    assert calls[0] == "emails.mask_phone("  # "number" is in the function's header


def test_methods_of_the_object_in_hand(workspace: tuple[Path, WorkspaceIndex]) -> None:
    root, index = workspace
    this = ("from accounts.record import Record\n\n\nclass User(Record):\n"
            "    def first(self):\n        return self.|\n")
    assert [h.call for h in helpers_at(root, index, "app.py", this)] == ["require_field("]
    annotated = ("from accounts.record import Record\n\n\ndef first(user: Record):\n"
                 "    return user.req|\n")
    found = helpers_at(root, index, "app.py", annotated)
    assert [h.call for h in found] == ["uire_field("] and found[0].method
    built = "from accounts.record import Record\n\nr = Record(a=1)\nr.|\n"
    assert [h.call for h in helpers_at(root, index, "app.py", built)] == ["require_field("]
    cart = ("import { Cart, toTitle } from './cart.js';\n\n"
            "export function again(cart, sku) {\n  cart.|\n}\n")
    assert [h.call for h in helpers_at(root, index, "web/checkout.js", cart, "javascript")
            ] == ["addItem(", "removeItem("]
    titled = cart.replace("cart.|", "const t = |")
    assert [h.call for h in helpers_at(root, index, "web/checkout.js", titled, "javascript")
            ] == ["toTitle("]


def test_a_call_must_pass_what_the_signature_asks_with_names_the_code_knows() -> None:
    helper = Helper("mask_phone", "mask_phone(", "a.py", 0,
                    "def mask_phone(number: str, keep: int = 2) -> str:")
    known = frozenset({"phone", "digits"})
    assert call_fits(helper, "mask_phone(phone)", known)
    assert call_fits(helper, "mask_phone(phone, keep=3) + 'x'", known)
    assert call_fits(helper, "mask_phone(phone[:4], len(digits))", known)
    assert call_fits(helper, "mask_phone(ph", known)  # not finished: nothing to count yet
    assert not call_fits(helper, "mask_phone()", known)  # too few
    assert not call_fits(helper, "mask_phone(phone, 1, 2)", known)  # too many
    assert not call_fits(helper, "mask_phone(phone, size=2)", known)  # no such parameter
    assert not call_fits(helper, "mask_phone(country)", known)  # a name nothing defines
    assert call_fits(helper, "mask_phone(x for x in phone)", known)  # bound in the call
    method = Helper("require_field", "require_field(", "r.py", 0,
                    "def require_field(self, name):", method=True)
    assert call_fits(method, 'require_field("first")', known)
    assert not call_fits(method, 'require_field(self, "first")', known)
    variadic = Helper("log", "log(", "l.js", 0, "function log(...parts) {")
    assert call_fits(variadic, "log(phone, digits, Math.PI)", known, "javascript")
    assert call_fits(helper, "mask_phone(str(len(phone)))", known)  # Python's built-ins
    assert not call_fits(helper, "mask_phone(window)", known)  # a browser's global, not Python's
    assert call_fits(variadic, "log(window)", known, "javascript")
