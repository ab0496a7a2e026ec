"""What hearth knows about each language, in one table: its tree-sitter grammar, comment and
string syntax, file extensions, Markdown fence name and block rules.

Keyed by LSP language id (``textDocument.languageId``). A language missing from the table still
gets suggestions; it is treated leniently (``#`` and ``//`` both start comments) and has no
syntax checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class LanguageFacts:
    id: str
    grammar: tuple[str, str] | None = None  # (module, function returning the language pointer)
    line_comments: tuple[str, ...] = ("#",)  # the first is the one hearth writes
    block_comment: tuple[str, str] | None = None
    quotes: str = "\"'"  # characters that open a one-line string literal
    extensions: tuple[str, ...] = ()
    fence: str = ""  # the Markdown code fence's name, when it differs from ``id``
    family: str = ""  # languages that import each other's files share one (JS and TS)
    offside: bool = False  # blocks are made by indentation
    # Lines at a block's indentation that continue the statement rather than follow it.
    continuations: tuple[str, ...] = ()

    @property
    def comment(self) -> str:
        """The marker hearth uses to write a line comment."""
        return self.line_comments[0] if self.line_comments else "#"

    @property
    def fence_name(self) -> str:
        return self.fence or self.id

    @property
    def family_name(self) -> str:
        return self.family or self.id


def _c_like(language_id: str, grammar: tuple[str, str] | None = None, **facts: Any
            ) -> LanguageFacts:
    """A language with C's comments."""
    return LanguageFacts(language_id, grammar, line_comments=("//",), block_comment=("/*", "*/"),
                    **facts)


_JS = ("tree_sitter_javascript", "language")
_JS_FACTS: dict[str, Any] = {"quotes": "\"'`", "family": "javascript",
                             "continuations": ("else", "catch", "finally")}
_SH = ("tree_sitter_bash", "language")
_SH_FACTS: dict[str, Any] = {"family": "shellscript", "continuations": ("else", "elif")}

_TABLE = (
    LanguageFacts("python", ("tree_sitter_python", "language"), extensions=(".py", ".pyi"),
             offside=True, continuations=("else", "elif", "except", "finally")),
    _c_like("javascript", _JS, extensions=(".js", ".mjs", ".cjs"), **_JS_FACTS),
    _c_like("javascriptreact", _JS, extensions=(".jsx",), fence="jsx", **_JS_FACTS),
    _c_like("typescript", ("tree_sitter_typescript", "language_typescript"),
            extensions=(".ts", ".mts"), **_JS_FACTS),
    _c_like("typescriptreact", ("tree_sitter_typescript", "language_tsx"),
            extensions=(".tsx",), fence="tsx", **_JS_FACTS),
    _c_like("go", ("tree_sitter_go", "language"), quotes="\"'`", extensions=(".go",),
            continuations=("else",)),
    # `'` also starts lifetimes (`&'a str`): only `"` is a string here.
    _c_like("rust", ("tree_sitter_rust", "language"), quotes="\"", extensions=(".rs",),
            continuations=("else",)),
    _c_like("java", ("tree_sitter_java", "language"), extensions=(".java",),
            continuations=("else", "catch", "finally")),
    _c_like("c", ("tree_sitter_c", "language"), extensions=(".c", ".h"), family="cpp",
            continuations=("else",)),
    _c_like("cpp", ("tree_sitter_cpp", "language"),
            extensions=(".cc", ".cpp", ".cxx", ".hpp", ".hh"), continuations=("else", "catch")),
    _c_like("csharp", ("tree_sitter_c_sharp", "language"), extensions=(".cs",),
            continuations=("else", "catch", "finally")),
    LanguageFacts("ruby", ("tree_sitter_ruby", "language"), block_comment=("=begin", "=end"),
             extensions=(".rb",), continuations=("else", "elsif", "rescue", "ensure", "when")),
    LanguageFacts("php", ("tree_sitter_php", "language_php"), line_comments=("//", "#"),
             block_comment=("/*", "*/"), extensions=(".php",),
             continuations=("else", "elseif", "catch", "finally")),
    LanguageFacts("shellscript", _SH, extensions=(".sh", ".bash"), fence="bash", **_SH_FACTS),
    LanguageFacts("bash", _SH, **_SH_FACTS),
    LanguageFacts("sh", _SH, **_SH_FACTS),
    # Without a bundled grammar: comments only (no syntax checks, not indexed).
    _c_like("kotlin"), _c_like("swift"), _c_like("scala"), _c_like("dart"),
    LanguageFacts("lua", line_comments=("--",), block_comment=("--[[", "]]")),
    LanguageFacts("sql", line_comments=("--",), block_comment=("/*", "*/")),
    LanguageFacts("haskell", line_comments=("--",), block_comment=("{-", "-}")),
)

LANGUAGES: dict[str, LanguageFacts] = {lang.id: lang for lang in _TABLE}
# Anything else: both common markers count as comments, and hearth writes `#`.
UNKNOWN = LanguageFacts("", line_comments=("#", "//"), quotes="\"'`")
_BY_EXTENSION = {ext: lang.id for lang in _TABLE for ext in lang.extensions}


def get(language_id: str) -> LanguageFacts:
    """The entry for an LSP language id (``UNKNOWN``'s rules for ones hearth does not know)."""
    found = LANGUAGES.get(language_id)
    if found is not None:
        return found
    return LanguageFacts(language_id, line_comments=UNKNOWN.line_comments, quotes=UNKNOWN.quotes)


def language_for_path(path: str) -> str:
    """The language id of a file read from disk (the index, the CLI); "" when unknown."""
    dot = path.rfind(".")
    return _BY_EXTENSION.get(path[dot:].lower(), "") if dot >= 0 else ""


def comment_marker(language_id: str) -> str:
    return get(language_id).comment


def fence_name(language_id: str) -> str:
    return get(language_id).fence_name


def family(language_id: str) -> str:
    return get(language_id).family_name


def is_offside(language_id: str) -> bool:
    return get(language_id).offside


# A line comment in most languages, for a language hearth does not know.
_ANY_COMMENT_LINE = re.compile(r"\s*(#|//|/\*|\*|--|;)")


@cache
def comment_line(language_id: str) -> re.Pattern[str]:
    """Matches a line that starts with a comment (after indentation)."""
    if language_id not in LANGUAGES:
        return _ANY_COMMENT_LINE
    lang = LANGUAGES[language_id]
    markers = [*lang.line_comments]
    if lang.block_comment is not None:
        markers.append(lang.block_comment[0])
        if lang.block_comment[0] == "/*":
            markers.append("*")  # the middle lines of a /** ... */ block
    return re.compile(r"\s*(?:" + "|".join(re.escape(m) for m in markers) + ")")


@cache
def continuation(language_id: str) -> re.Pattern[str]:
    """Matches a line that continues a statement at its indentation (``else``, ``except``):
    the language's own keywords, or every language's for one hearth does not know."""
    words = get(language_id).continuations or tuple(sorted(
        {word for lang in _TABLE for word in lang.continuations}))
    return re.compile(r"^\s*(?:" + "|".join(words) + r")\b")
