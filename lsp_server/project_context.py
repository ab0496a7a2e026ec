"""What the model should know beyond the window around the cursor, within a token budget:

  (a) the scope chain: headers of the class and function the cursor is in,
  (b) the file's imports,
  (c) signatures and docstring first lines of the symbols used near the cursor or imported,
      found in this file or, through the workspace index, in others,
  (d) the windows of other open and recently edited files most like the code at the cursor.

Nothing already in the prompt is repeated. The text is laid out as code (other files first, each
under a comment naming it, then this file's path, imports and scope headers), and it is kept
stable while the user types: an item chosen for a request stays chosen while it is still
relevant, so the engine's KV cache of the prompt survives from keystroke to keystroke.
"""

from __future__ import annotations

import bisect
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote, urlparse

from . import languages, project_helpers
from .context import TokenCounter, Window
from .index import WorkspaceIndex
from .project_helpers import Helper
from .snippets import identifiers
from .syntax_outline import Import, Symbol
from .syntax_trees import Parsed
from .workspace_files import is_secret

NEAR_LINES = 8  # lines above the cursor whose identifiers count as "used near the cursor"
MAX_SYMBOLS_PER_NAME = 2
MAX_MODULE_SYMBOLS = 8  # of a module used by its alias (`keys.` → keys.py's functions)
MAX_SNIPPETS = 2
SNIPPET_QUERY_LINES = 10
OUTLINE_TTL_S = 2.0
MAX_MEMBERS = 8  # method signatures shown with a class
MIN_FREE_NAME = 4  # a name neither imported nor local is looked up only if this long

# Names too generic to look up across the workspace.
_NOISE = frozenset({
    "self", "this", "print", "len", "range", "list", "dict", "str", "int", "None", "True",
    "False", "return", "import", "from", "def", "class", "for", "while", "if", "else", "elif",
    "main", "init", "__init__", "get", "set", "run", "test", "data", "value", "result",
    "items", "keys", "values", "append", "console", "log", "error", "string", "number",
})
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.(\w*)$")


class ContextRequest(Protocol):
    """The request as far as context is concerned (``pipeline.CompletionRequest``)."""

    @property
    def uri(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def offset(self) -> int: ...
    @property
    def language_id(self) -> str: ...
    @property
    def path(self) -> str: ...


# Layout groups, in prompt order.
OTHER_FILES, SNIPPETS, IMPORTS, LOCAL_SYMBOLS, SCOPE = range(5)


@dataclass(frozen=True)
class Item:
    key: str  # identity across requests (what stickiness remembers)
    group: int  # where it goes in the layout
    order: int  # position within its group (file offset, nesting depth)
    source: str  # the file it comes from ("" for this file)
    text: str


@dataclass(frozen=True)
class ProjectContext:
    text: str
    tokens: int
    items: tuple[Item, ...]
    # After `module.` (a module the index knows): the names that may follow, so a suggestion
    # calling something the module does not define can be told apart.
    members: tuple[str, ...] = ()
    # Calls to the project's functions worth trying at the cursor (ranking explores them).
    helpers: tuple[Helper, ...] = ()


def file_path(uri: str) -> str:
    """The local path of a file:// URI ("" for other schemes)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return ""
    return os.path.normpath(unquote(parsed.path))


class ContextBuilder:
    """One per pipeline; used on the worker thread only."""

    def __init__(self, index: WorkspaceIndex | None = None) -> None:
        self.index = index
        self._chosen: dict[str, list[str]] = {}  # uri -> keys chosen last time, in order
        self._outlines: dict[str, tuple[float, tuple[Symbol, ...]]] = {}  # uri -> (when, ...)

    def build(self, site: ContextRequest, parsed: Parsed | None, window: Window, budget: int,
              count: TokenCounter) -> ProjectContext:
        """The context text (ending with a line break, or empty) within ``budget`` tokens."""
        marker = languages.comment_marker(site.language_id)
        header = f"{marker} {site.path}\n" if site.path else ""
        used = count(header)
        prompt_text = window.prefix + window.suffix
        candidates = list(self._candidates(site, parsed, window, prompt_text, marker))
        by_key = {item.key: item for item in candidates}
        previous = [key for key in self._chosen.get(site.uri, []) if key in by_key]
        order = previous + [item.key for item in candidates if item.key not in previous]
        chosen: list[Item] = []
        for key in order:
            item = by_key[key]
            cost = count(item.text)
            if used + cost > budget:
                continue
            used += cost
            chosen.append(item)
        self._chosen[site.uri] = [item.key for item in chosen]
        if len(self._chosen) > 64:
            self._chosen.pop(next(iter(self._chosen)))
        here = file_path(site.uri)
        helpers = project_helpers.find(site.text, site.offset, site.language_id, here, parsed,
                                       self.index, self._outline(site, parsed, here))
        return ProjectContext(_layout(chosen, header, marker), used, tuple(chosen),
                              self._members_after_dot(site, parsed, window), helpers)

    def _members_after_dot(self, site: ContextRequest, parsed: Parsed | None,
                           window: Window) -> tuple[str, ...]:
        """The public top-level names of the module whose alias precedes the cursor's dot."""
        if self.index is None or parsed is None:
            return ()
        line_start = _line_start(site.text, site.offset, window)
        match = _DOTTED.search(site.text, line_start, site.offset)
        if match is None:
            return ()
        alias = match.group(1)
        here = file_path(site.uri)
        for imp in parsed.imports:
            for bound, real in imp.names:
                if bound != alias:
                    continue
                module = real if not imp.module else (
                    imp.module + real if imp.module.endswith(".") else f"{imp.module}.{real}")
                entry = self.index.resolve_module(here, module, site.language_id)
                if entry is not None:
                    return tuple(s.name for s in entry.symbols
                                 if not s.container and not s.name.startswith("_"))
        return ()

    def forget(self, uri: str) -> None:
        """A document closed: nothing kept for it."""
        self._chosen.pop(uri, None)
        self._outlines.pop(uri, None)

    # -- candidates, most wanted first ----------------------------------------------------------
    def _candidates(self, site: ContextRequest, parsed: Parsed | None, window: Window,
                    prompt_text: str, marker: str) -> Iterator[Item]:
        if parsed is not None:
            yield from _scope_items(parsed, site.offset, window)
            yield from _import_items(parsed, window)
        yield from self._symbol_items(site, parsed, window, prompt_text, marker)
        yield from self._snippet_items(site, window, prompt_text, marker)

    def _symbol_items(self, site: ContextRequest, parsed: Parsed | None, window: Window,
                      prompt_text: str, marker: str) -> Iterator[Item]:
        names = _names_near_cursor(site.text, site.offset, window)
        imports = parsed.imports if parsed is not None else ()
        bound = {alias: (imp, real) for imp in imports for alias, real in imp.names}
        for name, _real in ((alias, real) for imp in imports for alias, real in imp.names):
            if name not in names:
                names.append(name)  # imported but not used near the cursor: after those that are
        here = file_path(site.uri)
        first_line = window.prefix_line
        last_line = first_line + window.prefix.count("\n") + window.suffix.count("\n")
        seen: set[str] = set()
        for name in names:
            for rel, symbol, siblings in self._resolve(name, bound.get(name), here, site,
                                                       parsed):
                # Keys leave out positions: typing above a definition moves it, not changes it.
                key = f"symbol:{rel}:{symbol.container}.{symbol.name}:{symbol.signature}"
                if key in seen:
                    continue
                seen.add(key)
                if not rel and first_line <= symbol.line <= last_line:
                    continue  # defined in the window: the model sees it already
                if rel and symbol.signature in prompt_text:
                    continue
                group = LOCAL_SYMBOLS if not rel else OTHER_FILES
                members = [s for s in siblings if symbol.kind == "class"
                           and s.container == symbol.name
                           and (s.name == "__init__" or not s.name.startswith("_"))]
                yield Item(key, group, symbol.line, rel, _render_symbol(
                    symbol, site.language_id, marker, members[:MAX_MEMBERS]))

    def _resolve(self, name: str, binding: tuple[Import, str] | None, here: str,
                 site: ContextRequest, parsed: Parsed | None
                 ) -> list[tuple[str, Symbol, tuple[Symbol, ...]]]:
        """Symbols ``name`` may refer to: (source file, symbol, the file's symbols); the
        source is "" for this file."""
        outline = self._outline(site, parsed, here)
        local = [("", s, outline) for s in outline if s.name == name and not s.container]
        if local:
            return local[:MAX_SYMBOLS_PER_NAME]
        index = self.index
        if index is None:
            return []
        if binding is not None:
            imp, real = binding
            target = index.resolve_module(here, imp.module, site.language_id) if imp.module \
                else index.resolve_module(here, real, site.language_id)
            if imp.module:
                # `from m import name`: a symbol of m, or the submodule m.name.
                if target is not None:
                    found = [(target.rel, s, target.symbols) for s in target.symbols
                             if s.name == real]
                    if found:
                        return found[:MAX_SYMBOLS_PER_NAME]
                sub = index.resolve_module(here, f"{imp.module.rstrip('.')}.{real}"
                                           if not imp.module.endswith(".")
                                           else imp.module + real, site.language_id)
                if sub is not None:
                    return _module_symbols(sub.rel, sub.symbols)
            elif target is not None:  # `import m`: used as `m.something`
                return _module_symbols(target.rel, target.symbols)
        if len(name) < MIN_FREE_NAME or name in _NOISE:
            return []
        matches = [(entry.rel, symbol, entry.symbols)
                   for entry, symbol in index.symbols_named(name)
                   if entry.path != here and not is_secret(entry.path)
                   and languages.family(entry.language_id) == languages.family(site.language_id)]
        if len(matches) > MAX_SYMBOLS_PER_NAME:
            return []  # a common name (`run`, `get`): guessing which one would mislead
        return sorted(matches, key=lambda m: (bool(m[1].container), m[0]))

    def _outline(self, site: ContextRequest, parsed: Parsed | None, here: str
                 ) -> tuple[Symbol, ...]:
        """This file's symbols. Walking a large tree on every keystroke would cost more than
        the rest of the context, so the index's copy (current once typing pauses) is used, or
        an outline at most ``OUTLINE_TTL_S`` old; a symbol typed in the last moments is in the
        window anyway."""
        entry = self.index.file(here) if self.index is not None and here else None
        if entry is not None:
            return entry.symbols
        if parsed is None:
            return ()
        now = time.monotonic()
        for uri in [uri for uri, (when, _) in self._outlines.items()
                    if now - when >= OUTLINE_TTL_S]:
            del self._outlines[uri]  # stale: a closed document's outline must not linger
        cached = self._outlines.get(site.uri)
        if cached is not None:
            return cached[1]
        symbols = parsed.symbols
        self._outlines[site.uri] = (now, symbols)
        if len(self._outlines) > 16:
            self._outlines.pop(next(iter(self._outlines)))
        return symbols

    def _snippet_items(self, site: ContextRequest, window: Window, prompt_text: str,
                       marker: str) -> Iterator[Item]:
        if self.index is None:
            return
        line_start = _line_start(site.text, site.offset, window)
        lines = site.text[max(window.prefix_start, 0):line_start].split("\n")
        words = identifiers("\n".join(lines[-SNIPPET_QUERY_LINES - 1:]))
        prompt_lines = {line.strip() for line in prompt_text.split("\n") if line.strip()}
        for snippet in self.index.similar(words, file_path(site.uri), limit=MAX_SNIPPETS):
            body = [line for line in snippet.text.split("\n") if line.strip()]
            repeated = sum(1 for line in body if line.strip() in prompt_lines)
            if not body or repeated * 2 > len(body):
                continue  # mostly what the prompt already shows
            key = f"snippet:{snippet.rel}:{snippet.start_line}"
            yield Item(key, SNIPPETS, 0, snippet.rel,
                       f"{marker} {snippet.rel}\n{snippet.text}\n")


def _module_symbols(rel: str, symbols: tuple[Symbol, ...]
                    ) -> list[tuple[str, Symbol, tuple[Symbol, ...]]]:
    top = [s for s in symbols if not s.container and not s.name.startswith("_")]
    return [(rel, s, symbols) for s in top[:MAX_MODULE_SYMBOLS]]


def _line_start(text: str, offset: int, window: Window) -> int:
    """Where the cursor's line starts, or the window, if the line starts before it."""
    return max(text.rfind("\n", window.prefix_start, offset) + 1, window.prefix_start)


def _names_near_cursor(text: str, offset: int, window: Window) -> list[str]:
    """Identifiers on the cursor's line, then on the lines above it, nearest first (all
    inside the window: a minified line of megabytes costs no more than the window)."""
    line_start = _line_start(text, offset, window)
    line_end = text.find("\n", offset, window.suffix_end)
    current = text[line_start:line_end if line_end >= 0 else window.suffix_end]
    names: dict[str, None] = dict.fromkeys(reversed(_WORD.findall(current)))
    above = text[max(window.prefix_start, _nth_line_before(text, line_start, NEAR_LINES)):
                 line_start]
    for line in reversed(above.split("\n")):
        for word in reversed(_WORD.findall(line)):
            names.setdefault(word)
    return list(names)


def _nth_line_before(text: str, line_start: int, n: int) -> int:
    pos = line_start
    for _ in range(n):
        if pos <= 0:
            return 0
        pos = text.rfind("\n", 0, pos - 1) + 1
    return pos


def _scope_items(parsed: Parsed, offset: int, window: Window) -> Iterator[Item]:
    """Headers of the definitions around the cursor that start before the window."""
    headers = [h for h in parsed.scope_headers(offset) if h.start < window.prefix_start]
    for depth in reversed(range(len(headers))):  # innermost first: it matters most
        header = headers[depth]
        yield Item(f"scope:{header.text}", SCOPE, depth, "", header.text + "\n")


def _import_items(parsed: Parsed, window: Window) -> Iterator[Item]:
    starts = [imp.start for imp in parsed.imports]
    cut = bisect.bisect_left(starts, window.prefix_start)
    for imp in parsed.imports[:cut]:
        if imp.end <= window.prefix_start:
            yield Item(f"import:{imp.text}", IMPORTS, imp.start, "", imp.text + "\n")


def _render_symbol(symbol: Symbol, language_id: str, marker: str,
                   members: Sequence[Symbol] = ()) -> str:
    """A definition as code without its body: signature, docstring first line, and for a
    class the signatures of its methods."""
    signature = symbol.signature.rstrip()
    if language_id == "python" or signature.endswith(":"):
        lines = []
        indent = ""
        if symbol.container:
            lines.append(f"class {symbol.container}:")
            indent = "    "
        lines.append(indent + signature)
        if symbol.doc:
            lines.append(f'{indent}    """{symbol.doc}"""')
        for member in members:
            lines.append(f"{indent}    {member.signature.rstrip()}")
            if member.doc:
                lines.append(f'{indent}        """{member.doc}"""')
            lines.append(f"{indent}        ...")
        if not members:
            lines.append(f"{indent}    ...")
        return "\n".join(lines) + "\n"
    doc = f"{marker} {symbol.doc}\n" if symbol.doc else ""
    owner = f"{marker} in {symbol.container}\n" if symbol.container else ""
    inside = "".join(f"  {m.signature.rstrip()}\n" for m in members)
    return f"{owner}{doc}{signature}\n{inside}"


def _layout(items: list[Item], header: str, marker: str) -> str:
    """Other files first (one comment naming each), then similar snippets, then this file's
    header, imports, its own symbols from outside the window and the scope chain, so the prompt
    reads as code leading into the window."""
    others: dict[str, list[str]] = {}
    for item in sorted((i for i in items if i.group == OTHER_FILES), key=lambda i: i.order):
        others.setdefault(item.source, []).append(item.text)
    parts = [f"{marker} {source}\n" + "".join(texts) for source, texts in others.items()]
    parts.extend(item.text for item in items if item.group == SNIPPETS)
    local = sorted((i for i in items if i.group > SNIPPETS), key=lambda i: (i.group, i.order))
    parts.append(header + "".join(item.text for item in local))
    return "\n".join(part for part in parts if part)
