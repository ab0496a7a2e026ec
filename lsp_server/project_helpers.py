"""What the project offers at the cursor: functions it could call there.

A small model writes the bare argument (``users[name] = email``) even when the file imported
``normalise_email_address`` for exactly that. The prompt shows the helper; ranking can only
pick a call to it if some candidate makes one. This module names the calls worth trying:

* after ``receiver.``: the methods of the receiver's class: ``self`` in a method (its class
  and the classes it derives from), a parameter annotated with a class, a variable assigned
  ``Class(...)``, or (in untyped code) a variable named like an imported class (``cart`` for
  ``Cart``);
* elsewhere, where an expression or a statement may start: what the file imports from the
  project and does not use yet (a function, or a module's functions);

each ranked by how many words its name and docstring share with the code being written (the
function's header and docstring, the lines above the cursor).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .index import FileEntry, WorkspaceIndex
from .syntax_outline import Import, Symbol
from .syntax_trees import Parsed

MAX_HELPERS = 3
CONTEXT_LINES = 12  # lines above the cursor whose words say what is being written

_WORD = re.compile(r"[A-Za-z][a-z]*|[a-z]+|[A-Z]+(?![a-z])")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_RECEIVER = re.compile(r"(?<![\w.$])([A-Za-z_$][\w$]*)\.([\w$]*)$")
_PARTIAL = re.compile(r"[\w$]*$")
# Where an expression or a statement may begin (the text before the cursor ends so).
_EXPRESSION_START = re.compile(
    r"(^\s*|[=(\[{,:+\-*/%<>!?&|]\s*|\b(return|not|and|or|in|if|elif|while|yield|await|"
    r"else|case|throw|new)\s+)$")
_DEFINED = re.compile(r"(?:def|function)\s+([\w$]+)|^\s*(?:async\s+)?([\w$]+)\s*\(")
_BASES = re.compile(r"^\s*(?:export\s+)?(?:default\s+)?class\s+\w+\s*(?:\(([^)]*)\)|"
                    r"extends\s+([\w$.]+))")
_STOP = frozenset({
    "the", "and", "for", "with", "from", "that", "this", "into", "when", "self", "def",
    "return", "const", "let", "var", "function", "import", "export", "class", "none", "true",
    "false", "null", "str", "int", "float", "bool", "dict", "list", "new", "not",
})


@dataclass(frozen=True)
class Helper:
    """A call worth trying at the cursor."""

    name: str  # the function or method
    call: str  # the text that starts the call at the cursor ("" typed): "keys.canonical("
    source: str  # the file defining it (workspace-relative)
    relevance: int  # words shared with the code being written
    signature: str = ""  # its definition's header
    method: bool = False  # called on an object: its first parameter is not passed


def _words(text: str) -> set[str]:
    """Lower-case words of identifiers and prose, split at ``_`` and camelCase, plurals
    folded."""
    found: set[str] = set()
    for word in _WORD.findall(text):
        word = word.lower()
        if len(word) < 3 or word in _STOP:
            continue
        found.add(word[:-1] if word.endswith("s") and len(word) > 3 else word)
    return found


def _relevance(symbol: Symbol, intent: set[str]) -> int:
    return len(_words(symbol.name + " " + symbol.doc) & intent)


def find(text: str, offset: int, language_id: str, here: str, parsed: Parsed | None,
         index: WorkspaceIndex | None, outline: Sequence[Symbol]) -> tuple[Helper, ...]:
    """The calls worth trying at ``offset`` of ``text`` (the file ``here``), best first."""
    if index is None or parsed is None:
        return ()
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    if text[offset:line_end if line_end >= 0 else len(text)].strip():
        return ()  # mid-line, with code after the cursor: not where a call is written
    before = text[line_start:offset]
    receiver = _RECEIVER.search(before)
    found: list[tuple[Helper, Symbol]] = []
    if receiver is not None:
        typed = receiver.group(2)
        for source, method in _methods_of(receiver.group(1), text, offset, language_id, here,
                                          parsed, index, outline):
            if method.name.startswith(typed) and method.name != typed:
                found.append((Helper(method.name, method.name[len(typed):] + "(", source, 0,
                                     method.signature, language_id == "python"), method))
    else:
        typed = _partial(before)
        if not _EXPRESSION_START.search(before[: len(before) - len(typed)]):
            return ()
        for helper, symbol in _unused_imports(text, offset, parsed, index, here, language_id):
            if helper.call.startswith(typed):
                found.append((replace(helper, call=helper.call[len(typed):]), symbol))
    if not found:
        return ()
    intent = _words(_intent_text(text, line_start, parsed, offset))
    ranked = sorted((replace(helper, relevance=_relevance(symbol, intent))
                     for helper, symbol in found), key=lambda h: -h.relevance)
    return tuple(ranked[:MAX_HELPERS])


def _partial(before: str) -> str:
    match = _PARTIAL.search(before)
    return match.group() if match else ""


def _intent_text(text: str, line_start: int, parsed: Parsed, offset: int) -> str:
    """The enclosing definitions' headers and the lines just above the cursor, inside the
    innermost of them (not the imports, which name every helper)."""
    headers = parsed.scope_headers(offset)
    start = line_start
    for _ in range(CONTEXT_LINES):
        if start <= 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    if headers:
        start = max(start, headers[-1].start)
    else:
        start = max([start] + [imp.end for imp in parsed.imports if imp.end <= line_start])
    return " ".join(h.text for h in headers) + " " + text[start:offset]


def _unused_imports(text: str, offset: int, parsed: Parsed, index: WorkspaceIndex, here: str,
                    language_id: str) -> Iterable[tuple[Helper, Symbol]]:
    """Functions the file imports from the project and does not use yet; for an imported
    module, its functions (called through the module's name)."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    cursor_line = (line_start, line_end if line_end >= 0 else len(text))
    spans = [(imp.start, imp.end) for imp in parsed.imports] + [cursor_line]
    for imp in parsed.imports:
        for bound, real in imp.names:
            if _used(text, bound, spans):
                continue
            entry, symbol = _imported(index, here, imp, real, language_id)
            if symbol is not None and entry is not None and symbol.kind == "function":
                yield Helper(symbol.name, f"{bound}(", entry.rel, 0, symbol.signature), symbol
            elif symbol is None and entry is not None:  # a module, used through its name
                for fn in entry.symbols:
                    if fn.kind == "function" and not fn.container \
                            and not fn.name.startswith("_"):
                        yield Helper(fn.name, f"{bound}.{fn.name}(", entry.rel, 0,
                                     fn.signature), fn


def _used(text: str, name: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether ``name`` occurs in ``text`` outside ``spans`` (the imports, the cursor's line).
    A plain search for the one name: a regular expression over a long file, or a scan of its
    every identifier, would cost more than the rest of the request's context."""
    at = text.find(name)
    while at >= 0:
        end = at + len(name)
        whole = (at == 0 or not _is_word(text[at - 1])) and (
            end >= len(text) or not _is_word(text[end]))
        if whole and not any(start <= at < stop for start, stop in spans):
            return True
        at = text.find(name, end)
    return False


def _is_word(char: str) -> bool:
    return char.isalnum() or char in "_$"


def _imported(index: WorkspaceIndex, here: str, imp: Import, real: str, language_id: str
              ) -> tuple[FileEntry | None, Symbol | None]:
    """The project file an imported name comes from and its symbol (None for a module)."""
    if real == "*" or not imp.module:  # `import * as m from './m.js'`, `import m`
        module = imp.module or real
        return index.resolve_module(here, module, language_id), None
    entry = index.resolve_module(here, imp.module, language_id)
    if entry is not None:
        symbol = next((s for s in entry.symbols if s.name == real and not s.container), None)
        if symbol is not None:
            return entry, symbol
    joined = imp.module + real if imp.module.endswith(".") else f"{imp.module}.{real}"
    return index.resolve_module(here, joined, language_id), None  # `from pkg import module`


def _methods_of(receiver: str, text: str, offset: int, language_id: str, here: str,
                parsed: Parsed, index: WorkspaceIndex,
                outline: Sequence[Symbol]) -> list[tuple[str, Symbol]]:
    """Public methods of the receiver's class, with the file defining each."""
    if receiver in ("self", "this"):
        classes = [h.text for h in parsed.scope_headers(offset)
                   if _BASES.match(h.text) or h.text.lstrip().startswith("class ")]
        if not classes:
            return []
        name = classes[-1].split("class", 1)[1].split("(")[0].split("{")[0].split()[0]
        # Not the method being written.
        inside = _DEFINED.search(parsed.scope_headers(offset)[-1].text)
        current = (inside.group(1) or inside.group(2)) if inside else ""
        return [(rel, m) for rel, m in _class_methods(name, here, "", parsed.imports, index,
                                                      outline, language_id, set())
                if m.name != current]
    cls = _declared_class(receiver, text[:offset])
    if cls is None:  # untyped code: a variable named like an imported class
        names = {bound for imp in parsed.imports for bound, _ in imp.names}
        cls = next((n for n in names if n.lower() == receiver.lower()), None)
    if cls is None:
        return []
    return _class_methods(cls, here, "", parsed.imports, index, outline, language_id, set())


def _declared_class(receiver: str, before: str) -> str | None:
    """The class of ``receiver`` from an annotation (``x: Cls``) or a construction
    (``x = Cls(``, ``x = new Cls(``) in the code before the cursor (the nearest wins)."""
    name = re.escape(receiver)
    found = None
    best = -1
    for pattern in (rf"\b{name}\s*:\s*([A-Z][\w.]*)",
                    rf"\b{name}\s*=\s*(?:new\s+)?([A-Z][\w.]*)\("):
        for match in re.finditer(pattern, before):
            if match.start() > best:
                best, found = match.start(), match.group(1).split(".")[-1]
    return found


def _class_methods(name: str, here: str, rel: str, imports: Sequence[Import],
                   index: WorkspaceIndex, symbols: Sequence[Symbol], language_id: str,
                   seen: set[str]) -> list[tuple[str, Symbol]]:
    """Methods of class ``name`` as the file ``here`` (``symbols``, ``imports``) defines or
    imports it, then those of its bases."""
    if name in seen:
        return []
    seen.add(name)
    cls = next((s for s in symbols if s.name == name and s.kind == "class"
                and not s.container), None)
    if cls is None:  # imported: look in the module it comes from
        for imp in imports:
            for bound, real in imp.names:
                if bound == name and imp.module:
                    entry = index.resolve_module(here, imp.module, language_id)
                    if entry is not None:
                        seen.discard(real)
                        return _class_methods(real, entry.path, entry.rel, entry.imports,
                                              index, entry.symbols, language_id, seen)
        return []
    methods = [(rel, s) for s in symbols if s.container == name and s.kind == "function"
               and not s.name.startswith("_") and s.name != "constructor"]
    bases = _BASES.match(cls.signature)
    for base in re.split(r"[,\s]+", (bases.group(1) or bases.group(2) or "") if bases else ""):
        base = base.split(".")[-1].split("[")[0]
        if base and base[0].isupper():
            methods += _class_methods(base, here, rel, imports, index, symbols, language_id,
                                      seen)
    return methods


# -- checking a call -------------------------------------------------------------------------
_STRINGS = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|`(?:\\.|[^`\\])*`")
_BOUND_INSIDE = re.compile(r"\bfor\s+([\w\s,()]+?)\s+in\b|\blambda\s+([^:]*):|"
                           r"\(?([\w\s,$]*)\)?\s*=>")
_KEYWORDS = frozenset({
    "and", "or", "not", "in", "is", "if", "else", "for", "lambda", "None", "True", "False",
    "await", "new", "typeof", "instanceof", "true", "false", "null", "undefined", "this",
    "self", "void", "of", "as", "function", "return", "yield", "async",
})
_JS_GLOBALS = frozenset({
    "Math", "JSON", "Number", "String", "Array", "Object", "Date", "Boolean", "Map", "Set",
    "Promise", "Symbol", "RegExp", "Error", "console", "parseInt", "parseFloat", "isNaN",
    "Infinity", "NaN", "BigInt", "encodeURIComponent", "decodeURIComponent", "window",
    "document", "globalThis", "process", "require", "module", "exports",
})


def call_fits(helper: Helper, written: str, known: frozenset[str],
              language_id: str = "python") -> bool:
    """Whether the calls to ``helper`` in ``written`` pass as many arguments as its signature
    asks for (when both are whole) and read only names the code around them knows (or the
    language's built-in ones)."""
    builtin = _BUILTINS if language_id == "python" else _JS_GLOBALS
    for match in re.finditer(rf"(?<![\w$]){re.escape(helper.name)}\s*\(", written):
        arguments = _call_arguments(written, match.end())
        if arguments is None:
            continue  # the call is not finished: nothing to count yet
        if not _arity_fits(helper, arguments) or _unknown_names(arguments, known | builtin):
            return False
    return True


def _call_arguments(text: str, start: int) -> list[str] | None:
    """The top-level arguments of the call whose "(" ends at ``start`` (None if unclosed)."""
    depth = 0
    parts: list[str] = []
    current = start
    quote = ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == quote and text[index - 1] != "\\":
                quote = ""
            continue
        if char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                parts.append(text[current:index])
                return [p.strip() for p in parts if p.strip()]
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[current:index])
            current = index + 1
    return None


def _parameters(helper: Helper) -> list[str] | None:
    """The signature's parameters as written (None when it cannot be read)."""
    signature = helper.signature
    opening = signature.find("(")
    if opening < 0:
        return None
    found = _call_arguments(signature, opening + 1)
    if found is None:
        return None
    if helper.method and found and found[0].split(":")[0].strip() in ("self", "cls"):
        found = found[1:]
    return [p for p in found if p not in ("*", "/")]


def _arity_fits(helper: Helper, arguments: list[str]) -> bool:
    params = _parameters(helper)
    if params is None or any(p.startswith(("*", "...")) for p in params):
        return True  # variadic, or unreadable: any count will do
    names = [re.split(r"[:=\s]", p, maxsplit=1)[0] for p in params]
    required = sum(1 for p in params if "=" not in p)
    keywords = [a.split("=", 1)[0].strip() for a in arguments
                if re.match(r"^[A-Za-z_]\w*\s*=(?!=)", a)]
    if any(k not in names for k in keywords):
        return False
    positional = len(arguments) - len(keywords)
    return required <= len(arguments) and positional <= len(params)


def _unknown_names(arguments: list[str], known: frozenset[str]) -> bool:
    code = _STRINGS.sub('""', ", ".join(arguments))
    bound: set[str] = set()
    for match in _BOUND_INSIDE.finditer(code):
        for group in match.groups():
            if group:
                bound.update(_IDENT.findall(group))
    for match in _IDENT.finditer(code):
        name = match.group()
        if name in known or name in bound or name in _KEYWORDS or name[0].isdigit():
            continue
        if code[:match.start()].rstrip().endswith(".") or \
                re.match(r"\s*=(?![=>])", code[match.end():]) or \
                re.match(r"\s*:", code[match.end():]):
            continue  # an attribute, a keyword argument or an object's key
        return True
    return False


_BUILTINS = frozenset(dir(builtins))
