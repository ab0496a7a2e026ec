"""The language registry: one table answers every per-language question."""

from __future__ import annotations

from lsp_server import languages
from lsp_server.ranking import Candidate
from lsp_server.syntax_trees import Parsed


def test_grammars_extensions_and_comments_come_from_one_entry() -> None:
    rust = languages.get("rust")
    assert rust.grammar is not None and ".rs" in rust.extensions and rust.comment == "//"
    assert languages.language_for_path("src/lib.RS") == "rust"
    assert languages.language_for_path("Makefile") == ""
    assert Parsed.parse("fn main() {}", "rust") is not None  # the grammar it names loads
    assert languages.comment_marker("python") == "#"
    assert languages.comment_marker("lua") == "--"
    assert languages.comment_marker("no-such-language") == "#"


def test_fences_and_families() -> None:
    assert languages.fence_name("typescriptreact") == "tsx"
    assert languages.fence_name("shellscript") == "bash"
    assert languages.fence_name("python") == "python"
    assert languages.family("typescript") == languages.family("javascriptreact")
    assert languages.family("c") == "cpp"
    assert languages.family("go") == "go"


def test_comment_lines_follow_the_language() -> None:
    assert languages.comment_line("python").match("    # note")
    assert not languages.comment_line("rust").match("#[derive(Debug)]")
    assert not languages.comment_line("c").match("#define MAX 3")
    assert languages.comment_line("c").match(" * the middle of a block comment")
    assert languages.comment_line("unknown").match("; a comment somewhere")


def test_a_rust_attribute_counts_as_code_when_ranking() -> None:
    attribute = Candidate("#[derive(Debug)]")
    assert attribute.is_code("rust")
    assert not attribute.is_code("python")


def test_block_rules() -> None:
    assert languages.is_offside("python") and not languages.is_offside("go")
    assert languages.continuation("python").match("    except ValueError:")
    assert languages.continuation("ruby").match("  rescue => e")
    assert not languages.continuation("python").match("    return x")
