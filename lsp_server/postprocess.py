"""Turning raw model text into a suggestion an editor can show.

Decides beforehand how much to ask for (nothing mid-word, the rest of the line, or a block), then
trims what came back: text the document already has after the cursor, closing brackets the
suffix supplies, lines past the end of the block, trailing whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from . import holes, languages
from .languages import LanguageFacts

_WORD = re.compile(r"\w")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_BLOCK_OPENERS = (":", "{", "(", "[", "=>", "->", " do", " then")
MAX_BLOCK_LINES = 16


@dataclass(frozen=True)
class Plan:
    multiline: bool  # a block (up to its end by indentation) rather than the rest of a line
    # An empty line with code after it: as many lines as the hole needs (``holes``), cut
    # where the generation leaves it.
    hole: holes.Hole | None = None


def plan(line_before: str, line_after: str, prev_line: str, next_line: str,
         invoked: bool) -> Plan | None:
    """What kind of suggestion fits here, or None when none should be offered."""
    if not invoked and line_after[:1] and _WORD.match(line_after[:1]):
        return None  # in or right before a word: typing there is editing, not writing
    if line_after.strip():
        return Plan(False)  # mid-line: the rest of this line only
    if line_before.rstrip().endswith(_BLOCK_OPENERS):
        return Plan(True)  # right after a block opener
    if not line_before.strip() and prev_line.rstrip().endswith(_BLOCK_OPENERS):
        # An empty line opening a block: multi-line if the block has nothing in it yet.
        block_empty = not next_line.strip() or _width(_indent_of(next_line)) < max(
            _width(line_before), _width(_indent_of(prev_line)) + 1)
        return Plan(block_empty)
    return Plan(False)


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _width(indent: str) -> int:
    return len(indent.expandtabs(4))


def stop_condition(p: Plan, line_before: str) -> Callable[[str], bool]:
    """Ends generation early: after the first line, once a block is over, or once the
    generation has left a hole."""
    if p.hole is not None:
        return holes.stop_condition(p.hole, line_before)
    if not p.multiline:
        return lambda text: "\n" in text

    def block_done(text: str) -> bool:
        lines = text.split("\n")
        complete = lines[:-1]  # the last line may still grow
        return len(complete) > MAX_BLOCK_LINES or _block_end(complete, line_before) < len(complete)

    return block_done


def _block_end(lines: list[str], line_before: str) -> int:
    """Index of the first line past the block the suggestion starts (len(lines) if none).

    The block's indentation is that of its first non-blank line; a later line indented less
    belongs to the code around it.
    """
    block_width: int | None = None
    for index, line in enumerate(lines):
        if index == 0 and line_before.strip():
            continue  # the rest of the opener's line, not the block
        full = line_before + line if index == 0 else line
        if not full.strip():
            continue
        width = _width(_indent_of(full))
        if block_width is None:
            block_width = width
        elif width < block_width:
            return index
    return len(lines)


def finish(raw: str, p: Plan, prefix: str, suffix: str, eol: str = "\n",
           language_id: str = "") -> str:
    """The suggestion to insert at the cursor ("" for none)."""
    line_before = prefix[max(prefix.rfind("\n"), prefix.rfind("\r")) + 1:]
    line_after = re.split(r"\r\n|\r|\n", suffix, maxsplit=1)[0]
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if p.hole is not None:
        text = holes.within(text, p.hole, line_before)
    elif p.multiline:
        lines = text.split("\n")[: MAX_BLOCK_LINES + 1]
        kept = lines[: _block_end(lines, line_before)]
        while len(kept) > 1 and not kept[-1].strip():
            kept.pop()  # blank lines after a block belong to what follows it
        text = "\n".join(kept)
    else:
        text = text.split("\n", 1)[0]
    text = _cut_suffix_repeat(text, line_after, suffix)
    text = _balance(prefix, text, suffix, languages.get(language_id))
    text = "\n".join(line.rstrip() for line in text.split("\n")).rstrip()
    if not text.strip() or text.strip() == "\\":
        return ""  # nothing, or only a line continuation
    return text.replace("\n", eol) if eol != "\n" else text


def _cut_suffix_repeat(text: str, line_after: str, suffix: str) -> str:
    """Drop what the document already has after the cursor."""
    after = line_after.strip()
    if after and "\n" not in text:
        # The suggestion ends with (a prefix of) the rest of the line: keep what precedes it.
        for size in range(min(len(text), len(line_after)), 0, -1):
            tail = text[-size:]
            # A lone shared letter is a coincidence; punctuation or the whole rest is not.
            if line_after.startswith(tail) and tail.strip() and (
                    re.search(r"[^\w\s]", tail) or tail.strip() == after):
                return text[:-size]
        idx = text.find(after)
        if idx > 0:
            return text[:idx]
        return text
    # Multi-line: stop at the first line that repeats the next non-blank line of the suffix.
    following = [line.strip() for line in suffix.split("\n")[1:] if line.strip()][:1]
    if following and len(following[0]) > 1:
        lines = text.split("\n")
        for index, line in enumerate(lines[1:], start=1):
            if line.strip() == following[0]:
                return "\n".join(lines[:index])
    return text


def _balance(prefix: str, text: str, suffix: str, language: LanguageFacts) -> str:
    """Cut the suggestion at a closing bracket the document does not need.

    The brackets the prefix leaves open, less those the suffix closes, are the ones the
    suggestion may close; any other closer (an auto-paired ")" the editor already inserted, a
    stray "}") ends the suggestion there.
    """
    open_in_prefix = _unclosed(prefix, language)
    closed_by_suffix = _unopened(suffix, language)
    allowed = open_in_prefix[: max(0, len(open_in_prefix) - closed_by_suffix)]
    own: list[str] = []
    for index, char in _code_positions(text, language):
        if char in _OPENERS:
            own.append(char)
        elif char in _CLOSERS:
            if own:
                if own[-1] != _CLOSERS[char]:
                    return text[:index]
                own.pop()
            elif allowed and allowed[-1] == _CLOSERS[char]:
                allowed.pop()
            else:
                return text[:index]
    return text


def _unclosed(text: str, language: LanguageFacts) -> list[str]:
    stack: list[str] = []
    for _, char in _code_positions(text, language):
        if char in _OPENERS:
            stack.append(char)
        elif char in _CLOSERS and stack and stack[-1] == _CLOSERS[char]:
            stack.pop()
    return stack


def _unopened(text: str, language: LanguageFacts) -> int:
    """How many closers in ``text`` close brackets opened before it."""
    depth = 0
    count = 0
    for _, char in _code_positions(text, language):
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            if depth:
                depth -= 1
            else:
                count += 1
    return count


def _code_positions(text: str, language: LanguageFacts) -> list[tuple[int, str]]:
    """Characters outside string literals and line comments, with their index (a
    heuristic; the language says which characters open strings and comments)."""
    firsts = {marker[0] for marker in language.line_comments}
    out: list[tuple[int, str]] = []
    quote = ""
    escaped = False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote or char == "\n":
                quote = ""
            continue
        if char in language.quotes:
            quote = char
            continue
        if char in firsts and any(text.startswith(m, index) for m in language.line_comments):
            # Skip to the end of the line.
            quote = "\n"
            continue
        out.append((index, char))
    return out
