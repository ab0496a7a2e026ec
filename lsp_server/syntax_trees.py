"""Parsed snapshots: a text (a whole document, or the region around the cursor of one too
large to parse whole) with its syntax tree, and the trees of the open documents kept current edit
by edit. tree-sitter re-parses only what an edit touched."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from tree_sitter import Node, Tree

from .documents import Document, DocumentStore, Edit, make_edit
from .syntax import (
    MAX_TREE_CHARS,
    byte_offset,
    char_offset,
    enclosing,
    error_nodes,
    is_definition,
    thread_parser,
)
from .syntax_outline import Header, Import, Symbol, header_of, imports_of, symbols_of


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class Parsed:
    """One version of a text with its syntax tree. Never mutated after creation (edits go to a
    copy of the tree), so a snapshot taken on the event loop can be read on the worker.

    The text may be a region of a larger document (``region``): ``origin`` is where it starts
    in the document and ``origin_line`` on which line, and every offset taken or given is the
    document's."""

    def __init__(self, text: str, language_id: str, tree: Tree, data: bytes,
                 origin: int = 0, origin_line: int = 0) -> None:
        self.text = text
        self.language_id = language_id
        self.tree = tree
        self.data = data
        self.origin = origin
        self.origin_line = origin_line

    @classmethod
    def parse(cls, text: str, language_id: str) -> Parsed | None:
        """The whole text's tree (None without a grammar or over ``MAX_TREE_CHARS``)."""
        p = thread_parser(language_id)
        if p is None or len(text) > MAX_TREE_CHARS:
            return None
        data = _encode(text)
        return cls(text, language_id, p.parse(data), data)

    @classmethod
    def region(cls, text: str, language_id: str, start: int, end: int,
               start_line: int) -> Parsed | None:
        """A tree of ``text[start:end]`` alone (which begins on line ``start_line``), for a
        document too large to parse whole. Code cut at the region's edges parses with errors
        there; the checks that use it compare error counts with and without a suggestion."""
        p = thread_parser(language_id)
        if p is None:
            return None
        part = text[start:end]
        if len(part) > MAX_TREE_CHARS:
            return None
        data = _encode(part)
        return cls(part, language_id, p.parse(data), data, start, start_line)

    def edited(self, text: str, edits: Sequence[Edit]) -> Parsed:
        """The snapshot for ``text``, reached from this one by ``edits``: tree-sitter re-parses
        only the regions the edits touched."""
        p = thread_parser(self.language_id)
        assert p is not None  # this snapshot was parsed with it
        old = self.tree.copy()
        for e in edits:
            old.edit(start_byte=e.start_byte, old_end_byte=e.old_end_byte,
                     new_end_byte=e.new_end_byte, start_point=e.start_point,
                     old_end_point=e.old_end_point, new_end_point=e.new_end_point)
        data = _encode(text)
        return Parsed(text, self.language_id, p.parse(data, old), data, self.origin,
                      self.origin_line)

    def byte(self, index: int) -> int:
        """The byte in ``data`` of a document offset (clamped into the region)."""
        index = min(max(0, index - self.origin), len(self.text))
        if len(self.data) == len(self.text):
            return index
        return byte_offset(self.text, index)

    def char(self, byte: int) -> int:
        """The document offset of a byte in ``data``."""
        if len(self.data) == len(self.text):
            return self.origin + byte  # ASCII: bytes and characters coincide
        return self.origin + char_offset(self.data, byte)

    @cached_property
    def error_count(self) -> int:
        return sum(1 for _ in error_nodes(self.tree))

    def errors_after_insert(self, offset: int, inserted: str) -> int:
        """Syntax errors in the text with ``inserted`` at ``offset`` (parsed incrementally)."""
        offset -= self.origin
        new_text = self.text[:offset] + inserted + self.text[offset:]
        edit = make_edit(self.text, offset, offset, inserted)
        return self.edited(new_text, [edit]).error_count

    @cached_property
    def imports(self) -> tuple[Import, ...]:
        return tuple(imports_of(self))

    @cached_property
    def symbols(self) -> tuple[Symbol, ...]:
        return tuple(symbols_of(self))

    def scope_headers(self, index: int) -> list[Header]:
        """Headers (first lines up to the body) of the definitions around ``index``, outermost
        first."""
        if self.language_id == "python":
            return self._indented_scope(index)
        byte = self.byte(index)
        if byte >= len(self.data):
            byte = max(0, len(self.data) - 1)  # at the very end: what the last character is in
        return [header_of(self, node) for node in enclosing(self.tree, byte)]

    def _indented_scope(self, index: int) -> list[Header]:
        """Where blocks are made by indentation, the enclosing definitions are the nearest
        ``def``/``class`` lines above that are indented less, which holds even while the code
        being typed does not parse."""
        text = self.text
        origin = self.origin
        index = min(max(0, index - origin), len(text))
        line_start = text.rfind("\n", 0, index) + 1
        line_end = text.find("\n", index)
        line = text[line_start:line_end if line_end >= 0 else len(text)]
        before = text[line_start:index]
        if before.strip():
            limit = _width(line)
        else:
            limit = len(before.expandtabs(4))
            if limit == 0:  # an empty line: it belongs to the block above, if one is open
                above = text[:line_start].rstrip().rsplit("\n", 1)[-1]
                limit = _width(above) + (1 if above.rstrip().endswith(":") else 0)
        found: list[Header] = []
        end = line_start
        while end > 0 and limit > 0:
            start = text.rfind("\n", 0, end - 1) + 1
            candidate = text[start:end]
            end = start
            if not candidate.strip() or _width(candidate) >= limit:
                continue
            limit = _width(candidate)
            stripped = candidate.lstrip()
            if stripped.startswith(("def ", "class ", "async def ")):
                node = self._definition_at(origin + start + len(candidate) - len(stripped))
                # Code that does not parse yet may have no node for it: the line will do.
                found.append(header_of(self, node) if node is not None
                             else Header(candidate.rstrip(), origin + start,
                                         origin + start + len(candidate)))
        found.reverse()
        return found

    def _definition_at(self, index: int) -> Node | None:
        byte = self.byte(index)
        node: Node | None = self.tree.root_node.descendant_for_byte_range(byte, byte)
        while node is not None and not (is_definition(node) and node.start_byte == byte):
            node = node.parent
        return node


class DocumentTrees:
    """The syntax tree of every open document, kept current edit by edit (event loop only)."""

    def __init__(self, max_chars: int = MAX_TREE_CHARS) -> None:
        self._trees: dict[str, Parsed] = {}
        self.max_chars = max_chars  # beyond this a document gets no tree (minified bundles)
        self.incremental_updates = 0

    def attach(self, store: DocumentStore) -> None:
        store.on_change(self._on_change)
        store.on_close(self.forget)

    def _on_change(self, doc: Document, edits: Sequence[Edit]) -> None:
        self.update(doc, edits)

    def update(self, doc: Document, edits: Sequence[Edit]) -> Parsed | None:
        old = self._trees.get(doc.uri)
        if len(doc.text) > self.max_chars:
            self._trees.pop(doc.uri, None)
            return None
        if old is not None and edits and old.language_id == doc.language_id:
            new = old.edited(doc.text, edits)
            self.incremental_updates += 1
        else:
            parsed = Parsed.parse(doc.text, doc.language_id)
            if parsed is None:
                self._trees.pop(doc.uri, None)
                return None
            new = parsed
        self._trees[doc.uri] = new
        return new

    def forget(self, uri: str) -> None:
        self._trees.pop(uri, None)

    def get(self, uri: str) -> Parsed | None:
        return self._trees.get(uri)


def _width(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))
