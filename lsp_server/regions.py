"""Which part of a document a fix may rewrite, and the smallest edits that turn it into the fix.

A region is always whole lines: the smallest function around the range asked about, else the
largest statement inside it (or at the top level) that still fits, else the paragraph of lines
around the range. Edits are computed line by line (unchanged lines stay untouched, even when the
model re-indented them with tabs or left trailing spaces) and then trimmed to the characters that
differ, so an editor shows ``^`` → ``&`` rather than a rewritten function. Every edit lies inside
the region.

Offsets are str indices, like everywhere else in hearth.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from tree_sitter import Node, Tree

from . import syntax

MAX_REGION_LINES = 200
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

RegionKind = Literal["function", "block", "lines", "selection"]


@dataclass(frozen=True)
class Region:
    """Whole lines of a document: ``start`` is a line start, ``end`` the end of the last line
    (before its line break)."""

    start: int
    end: int
    kind: RegionKind
    name: str = ""  # the function's name, when the region is one

    def text(self, document: str) -> str:
        return document[self.start:self.end]


@dataclass(frozen=True)
class Replacement:
    """One text edit: ``new_text`` in place of ``document[start:end]`` (str offsets)."""

    start: int
    end: int
    new_text: str


def line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Extend ``[start, end)`` to whole lines (``end`` stops before the last line's break)."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    if end > start and text[end - 1] == "\n":
        end -= 1  # a range ending at the start of a line does not include that line
        if end > start and text[end - 1] == "\r":
            end -= 1
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    match = _LINE_BREAK.search(text, end)
    return line_start, match.start() if match else len(text)


@lru_cache(maxsize=4)
def _parse(text: str, language_id: str) -> Tree | None:
    """Parses are cached: the code action list and its resolve ask about the same text."""
    return syntax.parse(text, language_id)


def fix_region(text: str, language_id: str, start: int, end: int,
               max_lines: int = MAX_REGION_LINES) -> Region:
    """The smallest function around ``[start, end)`` (or the best block, or lines)."""
    tree = _parse(text, language_id)
    if tree is not None:
        found = _syntax_region(text, tree, start, end, max_lines)
        if found is not None:
            return found
    return _paragraph(text, start, end, max_lines)


def function_region(text: str, language_id: str, index: int) -> Region | None:
    """The innermost function containing ``index``, or None (also when the language has no
    grammar here)."""
    tree = _parse(text, language_id)
    if tree is None:
        return None
    data = text.encode("utf-8", "surrogatepass")
    byte = syntax.byte_offset(text, index)
    node: Node | None = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None:
        if syntax.is_function(node):
            return _whole_lines(text, data, node, "function")
        node = node.parent
    return None


def _syntax_region(text: str, tree: Tree, start: int, end: int, max_lines: int
                   ) -> Region | None:
    data = text.encode("utf-8", "surrogatepass")
    b_start, b_end = syntax.byte_offset(text, start), syntax.byte_offset(text, end)
    node: Node | None = tree.root_node.descendant_for_byte_range(b_start, max(b_start, b_end))
    inner: list[Node] = []  # ancestors inside the innermost function (or the root)
    while node is not None and node.parent is not None:
        if syntax.is_function(node):
            if _line_count(node) <= max_lines:
                return _whole_lines(text, data, node, "function")
            break  # too long to rewrite: fall back to a block inside it
        inner.append(node)
        node = node.parent
    # The outermost statement that owns its lines and still fits.
    for candidate in reversed(inner):
        if _line_count(candidate) <= max_lines and _owns_lines(data, candidate):
            return _whole_lines(text, data, candidate, "block")
    return None


def _line_count(node: Node) -> int:
    return node.end_point.row - node.start_point.row + 1


def _owns_lines(data: bytes, node: Node) -> bool:
    """Whether nothing but whitespace precedes the node on its first line (a statement, not an
    expression inside one)."""
    line_start = data.rfind(b"\n", 0, node.start_byte) + 1
    return not data[line_start:node.start_byte].strip()


def _whole_lines(text: str, data: bytes, node: Node, kind: RegionKind) -> Region:
    start = syntax.char_offset(data, node.start_byte)
    end = syntax.char_offset(data, node.end_byte)
    line_start, line_end = line_bounds(text, start, end)
    name_node = node.child_by_field_name("name")
    name = (data[name_node.start_byte:name_node.end_byte].decode("utf-8", "replace")
            if name_node is not None else "")
    return Region(line_start, line_end, kind, name)


def _paragraph(text: str, start: int, end: int, max_lines: int) -> Region:
    """Lines around the range up to blank lines (for languages without a grammar here)."""
    first, last = line_bounds(text, start, end)
    lines_used = text.count("\n", first, last) + 1
    while lines_used < max_lines and first > 0:
        prev_start, prev_end = line_bounds(text, first - 1, first - 1)
        if not text[prev_start:prev_end].strip():
            break
        first, lines_used = prev_start, lines_used + 1
    while lines_used < max_lines and last < len(text):
        nxt = _LINE_BREAK.match(text, last)
        if nxt is None:
            break
        next_start, next_end = line_bounds(text, nxt.end(), nxt.end())
        if not text[next_start:next_end].strip() or next_start >= len(text):
            break
        last, lines_used = next_end, lines_used + 1
    return Region(first, last, "lines")


def document_eol(text: str) -> str:
    match = _LINE_BREAK.search(text)
    return match.group() if match else "\n"


def split_lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)


def _key(line: str) -> str:
    """What makes two lines the same: not trailing spaces, nor tabs versus spaces."""
    stripped = line.lstrip(" \t")
    indent = line[: len(line) - len(stripped)]
    return indent.expandtabs(4).replace("\t", "    ") + stripped.rstrip()


def _restyle_indent(line: str, uses_tabs: bool) -> str:
    if not uses_tabs:
        return line.rstrip()
    stripped = line.lstrip(" \t")
    width = len(line[: len(line) - len(stripped)].expandtabs(4))
    return "\t" * (width // 4) + " " * (width % 4) + stripped.rstrip()


def minimal_edits(text: str, region: Region, replacement: str) -> list[Replacement]:
    """Edits inside ``region`` that turn its text into ``replacement`` (lines split on any line
    break; the document's own line break is written)."""
    eol = document_eol(text)
    old_lines = split_lines(region.text(text))
    uses_tabs = any(line.startswith("\t") for line in old_lines)
    new_lines = [_restyle_indent(line, uses_tabs) for line in split_lines(replacement)]
    starts = [region.start]
    for line in old_lines:
        starts.append(starts[-1] + len(line) + len(eol))
    last = len(old_lines)
    matcher = difflib.SequenceMatcher(None, [_key(x) for x in old_lines],
                                      [_key(x) for x in new_lines], autojunk=False)
    edits: list[Replacement] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 < last:  # lines i1..i2 with their breaks
            start = starts[i1]
            old = "".join(line + eol for line in old_lines[i1:i2])
            new = "".join(line + eol for line in new_lines[j1:j2])
        elif i1 > 0:  # up to the region's end: the break before each line instead
            start = starts[i1] - len(eol)
            old = "".join(eol + line for line in old_lines[i1:i2])
            new = "".join(eol + line for line in new_lines[j1:j2])
        else:  # every line
            start = region.start
            old = eol.join(old_lines)
            new = eol.join(new_lines[j1:j2])
        edits.append(_trimmed(start, old, new))
    return _merged(text, edits)


def _merged(text: str, edits: list[Replacement]) -> list[Replacement]:
    """Edits that touch (an insertion where a deletion starts) become one: the result is the
    same, and editors need not agree on the order of edits at one position."""
    out: list[Replacement] = []
    for edit in sorted(edits, key=lambda e: e.start):
        if out and edit.start <= out[-1].end:
            last = out[-1]
            out[-1] = Replacement(last.start, max(last.end, edit.end),
                           last.new_text + text[last.end:edit.start] + edit.new_text)
        else:
            out.append(edit)
    return out


def _trimmed(start: int, old: str, new: str) -> Replacement:
    """The edit replacing ``old`` at ``start`` by ``new``, less their common ends."""
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return Replacement(start + prefix, start + len(old) - suffix, new[prefix:len(new) - suffix])


def apply_edits(text: str, edits: list[Replacement]) -> str:
    """The text after non-overlapping ``edits`` (in document order at equal starts)."""
    out: list[str] = []
    pos = 0
    for edit in sorted(edits, key=lambda e: e.start):
        out.append(text[pos:edit.start])
        out.append(edit.new_text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)
