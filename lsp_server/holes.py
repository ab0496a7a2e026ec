"""How much code is missing where the cursor is on an empty line with code after it (a hole).

A model without fill-in-the-middle writes the likeliest continuation of the code above, blind to
the code below: it fills the hole and then carries on, usually rewriting what already follows.
The code around the cursor says how much is missing:

* the indentation: the first missing line sits at the level the line above calls for, and a
  line indented less than the code after the hole has left the hole's block;
* the line after the hole: generated code that reaches it has led into the code already there
  (the rest is a repeat and is cut);
* a line after the hole that is deeper than the hole's last line needs a block opener there;
* names the code below reads that nothing above defines: the hole must define them;
* the syntax: filling the hole must not add errors (and often removes the ones the hole made).

``cuts`` gives every beginning of a generation that ends at a line break; ``fills`` says what
each does for the hole, and ranking chooses among them (``ranking.choose``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_HOLE_LINES = 10  # lines generated for a hole at most
MAX_COMMENT_LINES = 2  # a run of comments this long is not the code the hole is missing
INDENT_UNIT = 4

_WORDY = re.compile(r"\w")
_COMMENT = re.compile(r"(#|//|/\*|\*|--)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SUBSCRIPT = re.compile(r"\w+\s*\[[^\]]*\]")
_ASSIGN = re.compile(r"(?<![=!<>+\-*/%&|^@:])=(?![=>])")
_TARGET = re.compile(r"^\s*[A-Za-z_(\[][\w\s,()\[\]*]*$")
_BINDS = (
    re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:[-+*/%&|^@]|//|\*\*|>>|<<)=(?!=)"),  # augmented
    re.compile(r"^\s*([A-Za-z_]\w*)\s*:\s*[^=\n]+=(?!=)"),  # annotated assignment
    re.compile(r"\bfor\s+([A-Za-z_][\w\s,()]*?)\s+in\b"),
    re.compile(r"\bas\s+([A-Za-z_]\w*)"),
    re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)"),
    re.compile(r"^\s*(?:global|nonlocal)\s+([\w\s,]+)"),
    re.compile(r"^\s*(?:from\s+\S+\s+)?import\s+([\w\s,.]+)"),
    re.compile(r"\b([A-Za-z_]\w*)\s*:="),  # walrus
)


@dataclass(frozen=True)
class Hole:
    """What the code around an empty line says about the code missing there."""

    level: int  # indentation of the first missing line
    floor: int  # a line indented less has left the hole's block
    next_line: str | None  # the first non-blank line after the cursor, stripped
    next_indent: int  # its indentation
    needs: tuple[str, ...] = ()  # names read below that nothing above defines

    @property
    def opener_needed(self) -> bool:
        """The code after the hole is deeper than the hole: the hole ends by opening a block."""
        return self.next_line is not None and self.next_indent > self.level


def indent_width(line: str) -> int:
    expanded = line.expandtabs(INDENT_UNIT)
    return len(expanded) - len(expanded.lstrip())


def analyse(prefix: str, suffix: str, needs: tuple[str, ...] = ()) -> Hole | None:
    """The hole at the end of ``prefix`` (the cursor on an empty line), or None when the cursor
    is not on an empty line or has no code above it."""
    line_before = prefix[prefix.rfind("\n") + 1:]
    line_after = suffix.split("\n", 1)[0]
    if line_before.strip() or line_after.strip():
        return None
    above = [line for line in prefix.split("\n")[:-1] if line.strip()]
    if not above:
        return None
    previous = above[-1]
    below = [line for line in suffix.split("\n")[1:] if line.strip()]
    following = below[0] if below else None
    level = indent_width(previous) + (INDENT_UNIT if _opens_block(previous) else 0)
    if following is None:
        return Hole(level, min(level, indent_width(previous)), None, 0, needs)
    next_indent = indent_width(following)
    return Hole(level, min(level, next_indent), following.strip(), next_indent, needs)


def _opens_block(line: str) -> bool:
    return line.split("#", 1)[0].rstrip().endswith((":", "{", "(", "[")) or \
        line.rstrip().endswith(("=>", " do", " then"))


def _line_ends_hole(line: str, hole: Hole) -> bool:
    """A generated line that has left the hole: indented less than its block, or the line that
    follows the hole (the generation has led into the code already there)."""
    if not line.strip():
        return False
    if indent_width(line) < hole.floor:
        return True
    # A closing bracket alone says little: it must also be at the next line's indentation.
    return line.strip() == hole.next_line and (
        _WORDY.search(line) is not None or indent_width(line) == hole.next_indent)


def stop_condition(hole: Hole, line_before: str,
                   max_lines: int = MAX_HOLE_LINES) -> Callable[[str], bool]:
    """Ends a hole's generation once a complete line has left it, once the model goes round in
    circles (a line it already wrote, a run of comments), after two blank lines, or after
    ``max_lines`` lines."""
    def done(text: str) -> bool:
        lines = (line_before + text).split("\n")[:-1]  # complete lines only
        if len(lines) >= max_lines:
            return True
        blank = comments = 0
        seen: set[str] = set()
        for line in lines:
            code = line.strip()
            blank = blank + 1 if not code else 0
            comments = comments + 1 if _COMMENT.match(code) else 0
            if blank >= 2 or comments >= MAX_COMMENT_LINES or _line_ends_hole(line, hole):
                return True
            if len(code) > 3 and code in seen:
                return True
            seen.add(code)
        return False

    return done


def within(text: str, hole: Hole, line_before: str) -> str:
    """``text`` up to the first line that leaves the hole, without trailing blank lines."""
    lines = text.split("\n")[:MAX_HOLE_LINES]
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _line_ends_hole(line_before + line if index == 0 else line, hole):
            break
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


def cuts(text: str) -> list[str]:
    """Every beginning of ``text`` that ends with a whole non-blank line, shortest first."""
    lines = text.split("\n")
    return ["\n".join(lines[:end]) for end in range(1, len(lines) + 1)
            if lines[end - 1].strip()]


def binds(text: str) -> set[str]:
    """Names a piece of Python code assigns or defines (a heuristic, line by line)."""
    found: set[str] = set()
    for line in text.split("\n"):
        code = line.split("#", 1)[0]
        for target in _ASSIGN.split(code)[:-1]:  # a = b = ..., (c, d) = ...
            if _TARGET.match(target) and target.count("(") == target.count(")") \
                    and target.count("[") == target.count("]"):
                found.update(_IDENT.findall(_SUBSCRIPT.sub("", target)))  # not x in x[i] = 1
        for pattern in _BINDS:
            for match in pattern.finditer(code):
                found.update(_IDENT.findall(match.group(1)))
    return found


def defines_needs(text: str, hole: Hole) -> int:
    """How many of the names the hole must define ``text`` defines."""
    bound = binds(text)
    return sum(1 for name in hole.needs if name in bound)


def without_comment(line: str) -> str:
    """The line without a trailing comment (a heuristic: ``#`` outside quotes)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index].rstrip()
    return line.rstrip()


# -- names the code below needs --------------------------------------------------------------
_ASSIGNED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=(?!=)|:)")
_KEYWORDS = frozenset({
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if",
    "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
    "while", "with", "yield", "self", "cls", "print", "len", "range", "int", "str", "float",
    "list", "dict", "set", "tuple", "bool", "sum", "min", "max", "abs", "sorted", "enumerate",
    "zip", "map", "filter", "any", "all", "isinstance", "round", "ord", "chr", "reversed",
    "super", "type", "object", "Exception", "ValueError", "TypeError", "KeyError", "open",
    "iter", "next", "hash", "id", "input", "format", "repr", "divmod", "pow", "bin", "hex",
})
_TRIPLE = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'')
_STRING = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")
_FOR_TARGET, _AS_TARGET = _BINDS[2], _BINDS[3]
_DEF_NAME = re.compile(r"^\s*(?:def|class)\s+([A-Za-z_]\w*)")
_LAMBDA_ARGS = re.compile(r"\blambda\s+([^:]*):")


def undefined_names(prefix: str, suffix: str) -> list[str]:
    """Names the code below the cursor reads before anything binds them, which the code
    above never mentions: the missing line probably defines them (off-side languages)."""
    # Names in the code above (not in its strings and comments: a docstring mentioning `month`
    # does not define it).
    code_above = _TRIPLE.sub('""', prefix)
    known = {name for line in code_above.split("\n")
             for name in _IDENT.findall(without_comment(_STRING.sub('""', line)))} | _KEYWORDS
    bound: dict[str, int] = {}  # name -> indentation of the line that binds it
    found: list[str] = []
    for line in suffix.split("\n")[1:40]:
        code = without_comment(_STRING.sub('""', line))
        width = indent_width(line)
        targets: set[str] = set()
        for pattern in (_FOR_TARGET, _AS_TARGET, _DEF_NAME, _LAMBDA_ARGS):
            for match in pattern.finditer(code):
                targets.update(_IDENT.findall(match.group(1)))
        for match in _IDENT.finditer(code):
            name = match.group()
            if name in known or name in found or name in targets:
                continue
            if name in bound and bound[name] <= width:
                continue  # bound above at this level (a binding in a deeper block may not run)
            if code[:match.start()].rstrip().endswith("."):
                continue  # an attribute
            if re.match(r"\s*=(?!=)", code[match.end():]):
                continue  # assigned here (or a keyword argument); `+=` reads it first
            found.append(name)
        assigned = _ASSIGNED.match(code)
        for name in targets | ({assigned.group(1)} if assigned else set()):
            bound[name] = min(bound.get(name, width), width)
    return found
