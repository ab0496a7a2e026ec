"""tree-sitter: grammars for every language, incremental trees per document, outlines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsp_server import syntax
from lsp_server.documents import DocumentStore, Pos, TextChange, make_edit
from lsp_server.syntax_trees import DocumentTrees, Parsed

SAMPLES = {
    "python": "import os\n\ndef add(a, b):\n    return a + b\n",
    "javascript": "import {x} from './x';\nfunction add(a, b) { return a + b; }\n",
    "typescript": "export function add(a: number, b: number): number { return a + b; }\n",
    "typescriptreact": "const A = () => <div>hi</div>;\n",
    "go": "package main\nimport \"fmt\"\nfunc Add(a, b int) int { return a + b }\n",
    "rust": "use std::io;\nfn add(a: i32, b: i32) -> i32 { a + b }\n",
    "java": "import java.util.List;\nclass A { int add(int a, int b) { return a + b; } }\n",
    "c": "#include <stdio.h>\nint add(int a, int b) { return a + b; }\n",
    "cpp": "#include <vector>\nclass C { int add(int a) { return a; } };\n",
    "csharp": "using System;\nclass A { int Add(int a) { return a; } }\n",
    "ruby": "require 'x'\ndef add(a, b)\n  a + b\nend\n",
    "php": "<?php\nfunction add($a, $b) { return $a + $b; }\n",
    "shellscript": "source x.sh\nadd() {\n  echo $(($1 + $2))\n}\n",
}


@pytest.mark.parametrize("language_id", sorted(SAMPLES))
def test_every_required_language_parses_and_outlines(language_id: str) -> None:
    parsed = Parsed.parse(SAMPLES[language_id], language_id)
    assert parsed is not None, f"no grammar for {language_id}"
    assert parsed.error_count == 0
    if language_id != "typescriptreact":
        assert [s.name for s in parsed.symbols if s.kind == "function"] in (["add"], ["Add"])
    broken = Parsed.parse(SAMPLES[language_id].replace("(", "((("), language_id)
    assert broken is not None and broken.error_count > 0


def test_python_outline_signatures_docstrings_and_imports() -> None:
    text = ('from .util import helper as h, other\nimport a.b\n\n'
            'class Shop(Base):\n    """Sells things."""\n\n'
            '    def price(self, item: str,\n              qty: int = 1) -> float:\n'
            '        """Return the total price.\n\n        More text.\n        """\n'
            '        def inner():\n            pass\n        return 1.0\n')
    parsed = Parsed.parse(text, "python")
    assert parsed is not None
    symbols = {s.name: s for s in parsed.symbols}
    assert set(symbols) == {"Shop", "price"}  # nested functions are not part of the outline
    assert symbols["Shop"].doc == "Sells things."
    price = symbols["price"]
    assert price.container == "Shop"
    assert price.signature == "def price(self, item: str, qty: int = 1) -> float:"
    assert price.doc == "Return the total price."
    assert [(i.module, i.names) for i in parsed.imports] == [
        (".util", (("h", "helper"), ("other", "other"))), ("", (("a", "a.b"),))]
    headers = parsed.scope_headers(text.index("return 1.0"))
    assert [h.text for h in headers] == [
        "class Shop(Base):",
        "    def price(self, item: str,\n              qty: int = 1) -> float:"]


def test_leading_comment_is_the_doc_of_c_like_definitions() -> None:
    parsed = Parsed.parse(
        "// Adds two numbers.\n// More.\nint add(int a, int b) { return a + b; }\n", "c")
    assert parsed is not None
    assert [(s.name, s.doc, s.signature) for s in parsed.symbols] == [
        ("add", "Adds two numbers.", "int add(int a, int b)")]


def test_errors_after_insert_counts_new_errors_incrementally() -> None:
    text = "def f(x):\n    \n    return x\n"
    parsed = Parsed.parse(text, "python")
    assert parsed is not None and parsed.error_count == 0
    at = text.index("    \n") + 4
    assert parsed.errors_after_insert(at, "y = (x + 1") > 0
    assert parsed.errors_after_insert(at, "y = x + 1") == 0


def test_document_trees_follow_incremental_edits() -> None:
    store = DocumentStore()
    trees = DocumentTrees()
    trees.attach(store)
    doc = store.open("file:///t.py", "def f():\n    return 1\n", 1, "python")
    first = trees.get(doc.uri)
    assert first is not None and first.error_count == 0
    store.change(doc.uri, 2, [TextChange("(", Pos(1, 11), Pos(1, 11))])
    second = trees.get(doc.uri)
    assert second is not None and second is not first
    assert second.text == doc.text and second.error_count > 0
    assert first.error_count == 0  # an earlier snapshot is never mutated
    store.change(doc.uri, 3, [TextChange("", Pos(1, 11), Pos(1, 12))])
    third = trees.get(doc.uri)
    assert third is not None and third.error_count == 0
    assert trees.incremental_updates == 2
    store.close(doc.uri)
    assert trees.get(doc.uri) is None


EDIT_TEXT = st.text(alphabet=st.sampled_from(list("ab (){}:=\n\t é😀#\"'")), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab (){}:=\n\t é😀#\"'")), max_size=60),
       st.lists(st.tuples(st.integers(0, 80), st.integers(0, 10), EDIT_TEXT), max_size=6))
def test_incremental_tree_equals_a_fresh_parse(text: str,
                                               edits: list[tuple[int, int, str]]) -> None:
    parsed = Parsed.parse(text, "python")
    assert parsed is not None
    for start, length, inserted in edits:
        start = min(start, len(text))
        end = min(len(text), start + length)
        edit = make_edit(text, start, end, inserted)
        text = text[:start] + inserted + text[end:]
        parsed = parsed.edited(text, [edit])
    fresh = syntax.parse(text, "python")
    assert fresh is not None
    assert str(parsed.tree.root_node) == str(fresh.root_node)


def test_enclosing_function_and_count_errors_still_work() -> None:
    text = "class A:\n    def m(self):\n        return 1\n"
    span = syntax.enclosing_function(text, "python", text.index("return"))
    assert span is not None and text[span.start:span.end].startswith("def m")
    assert syntax.count_errors(text, "python") == 0
    assert syntax.count_errors(text, "no-such-language") is None
