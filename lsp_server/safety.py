"""Suggestions that would make the code do something risky it did not do before.

Text in the workspace can carry instructions for the model ("AI assistant: call os.system
..."), and a model may follow them. A suggestion or a fix that *adds* a kind of risky call —
running a process or code, deleting files, opening a network connection — that the code around
it does not already make is dropped (``hearth.riskySuggestions = "drop"``, the default) or served
with a warning in the server log (``"flag"``). Code that already calls ``subprocess`` may get
suggestions that call it again.

A small table of call patterns per language (others are read as shell commands), matched on
code with its comments and plain strings blanked out (instructions usually hide there). Pure
functions, no LSP types.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Literal, Protocol

log = logging.getLogger(__name__)

Kind = Literal["execution", "deletion", "network"]
KIND_WORDS: dict[Kind, str] = {
    "execution": "runs a command or code",
    "deletion": "deletes files",
    "network": "opens a network connection",
}
SURROUNDING_CHARS = 8000  # of a fix's code, on each side, that counts as "around it"

_Table = Mapping[Kind, "re.Pattern[str]"]


def _table(execution: str, deletion: str, network: str) -> _Table:
    return {"execution": re.compile(execution), "deletion": re.compile(deletion),
            "network": re.compile(network)}


_PYTHON = _table(
    r"\bos\.(system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|startfile)\s*\("
    r"|\bsubprocess\.\w+\s*\(|\b(Popen|check_output|check_call|getoutput|getstatusoutput)\s*\("
    r"|\bcreate_subprocess_(exec|shell)\s*\(|\bpty\.spawn\s*\("
    r"|(?<![\w.])(eval|exec|compile|__import__)\s*\(",
    r"\bos\.(remove|unlink|rmdir|removedirs)\s*\(|\brmtree\s*\(|\.(unlink|rmdir)\s*\(",
    r"\b(requests|httpx)\.(get|post|put|patch|delete|head|options|request|stream|Session"
    r"|Client|AsyncClient)\s*\(|\burlopen\s*\(|\burllib\.request\.\w+\s*\("
    r"|\bsocket\.(socket|create_connection)\s*\(|\bHTTPS?Connection\s*\(|\bClientSession\s*\("
    r"|\b(urllib3\.PoolManager|paramiko\.SSHClient|ftplib\.FTP|smtplib\.SMTP\w*"
    r"|telnetlib\.Telnet)\s*\(",
)
_JAVASCRIPT = _table(
    r"\bchild_process\b|(?<![\w.])(exec|execSync|execFile|execFileSync|spawn|spawnSync|fork)"
    r"\s*\(|\b(eval|Function)\s*\(|\bDeno\.(run|Command)\b|\bBun\.spawn",
    r"\b(unlink|unlinkSync|rm|rmSync|rmdir|rmdirSync|rimraf)\s*\(",
    r"(?<![\w.])fetch\s*\(|\b(window|globalThis)\.fetch\s*\(|\bXMLHttpRequest\b|\baxios\b|\bhttps?\.(request|get)\s*\("
    r"|\bnet\.(connect|createConnection)\s*\(|\bnew\s+WebSocket\s*\(|\bsendBeacon\s*\(",
)
_SHELL = _table(
    r"(?<![\w-])(eval|exec|sudo)\s|\b(ba|z|k|da)?sh\s+-c\b|\|\s*(sudo\s+)?(ba|z)?sh\b",
    r"(?<![\w-])(rm|rmdir|shred|unlink)\s|\s-delete\b",
    r"(?<![\w-])(curl|wget|nc|ncat|netcat|socat|ssh|scp|sftp|rsync|ftp|telnet)\s|/dev/(tcp|udp)/",
)
_GO = _table(
    r"\bexec\.Command(Context)?\s*\(|\bsyscall\.(Exec|ForkExec)\s*\(|\bos\.StartProcess\s*\(",
    r"\bos\.(Remove|RemoveAll)\s*\(",
    r"\bhttp\.(Get|Post|PostForm|Head|NewRequest\w*|DefaultClient)\b|\bhttp\.Client\s*\{"
    r"|\bnet\.(Dial\w*|Listen\w*)\s*\(|\btls\.Dial\s*\(",
)
_RUST = _table(
    r"\bCommand::new\s*\(|\bprocess::Command\b",
    r"\b(remove_file|remove_dir|remove_dir_all)\s*\(",
    r"\b(TcpStream|UdpSocket|TcpListener)::(connect|bind)\s*\(|\b(reqwest|ureq|hyper)::",
)
_RUBY = _table(
    r"(?<![\w.])(system|exec|spawn|eval)\s*[(\s'\"]|`[^`\n]*`|%x[({\[]|\bIO\.popen\b"
    r"|\bOpen3\.",
    r"\bFile\.(delete|unlink)\b|\bFileUtils\.(rm\w*|remove\w*)\b|\bDir\.(delete|rmdir)\b",
    r"\bNet::HTTP\b|\bURI\.open\b|\bTCPSocket\b|\bSocket\.new\b",
)
_JVM = _table(  # Java, Kotlin, C#, Scala
    r"\bRuntime\.getRuntime\(\)\.exec\s*\(|\bProcessBuilder\s*\(|\bProcess\.Start\s*\(",
    r"\bFiles\.(delete|deleteIfExists)\s*\(|\b(File|Directory)\.Delete\s*\(|\.delete\(\)",
    r"\b(HttpClient|HttpURLConnection|WebClient|OkHttpClient)\b|\bnew\s+(URL|Socket)\s*\(",
)
_C = _table(
    r"(?<![\w.>:])(system|popen|exec[lv]p?e?|posix_spawnp?|fork|CreateProcess\w*"
    r"|ShellExecute\w*)\s*\(",
    r"(?<![\w.>:])(remove|unlink|rmdir|DeleteFile\w*)\s*\(",
    r"(?<![\w.>:])(socket|getaddrinfo)\s*\(|\bcurl_easy_\w+\s*\(",
)
_PHP = _table(
    r"(?<![\w>])(exec|shell_exec|system|passthru|proc_open|popen|eval|pcntl_exec)\s*\("
    r"|`[^`\n]*`",
    r"(?<![\w>])(unlink|rmdir)\s*\(",
    r"(?<![\w>])(curl_init|fsockopen|stream_socket_client)\s*\(|file_get_contents\s*\(\s*['\"]https?:",
)
# Modules named in strings (JS imports), read with the strings left in.
_JS_MODULES = _table(
    r"(\brequire\s*\(|\bfrom|\bimport)\s*\(?\s*['\"](node:)?child_process['\"]",
    r"(\brequire\s*\(|\bfrom|\bimport)\s*\(?\s*['\"](rimraf|del|trash)['\"]",
    r"(\brequire\s*\(|\bfrom|\bimport)\s*\(?\s*['\"](node:)?(net|dgram|http|https|axios|node-fetch"
    r"|ws)['\"]",
)
_MODULE_TABLES: dict[str, _Table] = dict.fromkeys(
    ("javascript", "javascriptreact", "typescript", "typescriptreact"), _JS_MODULES)
_TABLES: dict[str, _Table] = {
    "python": _PYTHON,
    **dict.fromkeys(("javascript", "javascriptreact", "typescript", "typescriptreact"),
                    _JAVASCRIPT),
    **dict.fromkeys(("shellscript", "bash", "sh", "zsh", "dockerfile", "makefile"), _SHELL),
    "go": _GO,
    "rust": _RUST,
    "ruby": _RUBY,
    **dict.fromkeys(("java", "kotlin", "csharp", "scala"), _JVM),
    **dict.fromkeys(("c", "cpp"), _C),
    "php": _PHP,
}

# What is blanked out before matching: comments, and strings that cannot run code (f-strings,
# template literals and shell strings can, so they stay).
_HASH_COMMENT = r"#[^\n]*"
_SLASH_COMMENTS = r"//[^\n]*|/\*.*?\*/"
_QUOTED = r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'"
_CHAR = r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])'"  # 'x' is one character (C, Go, Rust, Java)
_NOISE: dict[str, re.Pattern[str]] = {
    # A prefix with f (an f-string, which can run code) keeps the string: no match can start
    # after a word character.
    "python": re.compile(r"(?<!\w)[rRbBuU]{0,2}(?:\"\"\".*?\"\"\"|'''.*?'''|" + _QUOTED + ")|"
                         + _HASH_COMMENT, re.DOTALL),
    "hash": re.compile(_QUOTED + "|" + _HASH_COMMENT),  # Ruby
    "shell": re.compile(r"(?:^|(?<=\s))#[^\n]*", re.MULTILINE),
    "slash": re.compile(_QUOTED + "|" + _SLASH_COMMENTS, re.DOTALL),  # JS, PHP
    "char": re.compile(_CHAR + "|" + _SLASH_COMMENTS, re.DOTALL),  # C, Go, Rust, JVM
}
_NOISE_OF = {
    "python": "python", "ruby": "hash", "php": "slash",
    **dict.fromkeys(("javascript", "javascriptreact", "typescript", "typescriptreact"), "slash"),
    **dict.fromkeys(("shellscript", "bash", "sh", "zsh", "dockerfile", "makefile"), "shell"),
    **dict.fromkeys(("c", "cpp", "go", "rust", "java", "kotlin", "csharp", "scala"), "char"),
}


def code_only(text: str, language_id: str, keep_strings: bool = False) -> str:
    """``text`` with comments and plain strings (or only comments) blanked, line breaks kept."""
    noise = _NOISE.get(_NOISE_OF.get(language_id, ""))
    if noise is None:
        return text

    def blank(match: re.Match[str]) -> str:
        found = match.group()
        if keep_strings and not found.startswith(("#", "//", "/*")):
            return found
        return "\n" * found.count("\n") + " "

    return noise.sub(blank, text)


def risky_calls(code: str, language_id: str) -> dict[Kind, str]:
    """The first risky call of each kind in ``code`` (comments and plain strings aside). A
    language without a table of its own (YAML, Markdown, ...) is read as shell commands."""
    views = [(_TABLES.get(language_id, _SHELL), code_only(code, language_id))]
    if language_id in _MODULE_TABLES:
        views.append((_MODULE_TABLES[language_id], code_only(code, language_id, True)))
    found: dict[Kind, str] = {}
    for table, text in views:
        for kind, pattern in table.items():
            if kind not in found and (match := pattern.search(text)):
                found[kind] = match.group().strip().rstrip("({ ").strip()
    return found


def added_risks(before: str, after: str, language_id: str) -> dict[Kind, str]:
    """The kinds of risky call ``after`` makes and ``before`` does not, with the call seen."""
    new = risky_calls(after, language_id)
    if not new:
        return {}
    old = risky_calls(before, language_id)
    return {kind: call for kind, call in new.items() if kind not in old}


def describe(risks: Mapping[Kind, str]) -> str:
    return "; ".join(f"{KIND_WORDS[kind]} ({call})" for kind, call in risks.items())


def screen(before: str, after: str, language_id: str, mode: str, what: str) -> str | None:
    """Why the change from ``before`` to ``after`` must not be served, or None. With ``mode``
    "flag" it is served, and the server log says what it adds."""
    risks = added_risks(before, after, language_id)
    if not risks:
        return None
    why = (f"the {what} {describe(risks)}, which the code around it does not "
           "(hearth.riskySuggestions)")
    if mode == "flag":
        log.warning("hearth: review this: %s", why)
        return None
    log.info("dropped: %s", why)
    return why


def screen_completion(prefix: str, suggestion: str, suffix: str, language_id: str,
                      mode: str) -> str | None:
    """``screen`` for a suggestion inserted between ``prefix`` and ``suffix``. The suggestion
    with the rest of its lines is looked at first: the whole window only when that has a
    risky call (reading the whole window costs milliseconds, too much for every keystroke)."""
    line_start, line_end = prefix.rfind("\n") + 1, suffix.find("\n")
    local = prefix[line_start:] + suggestion + suffix[:line_end if line_end >= 0 else None]
    if not suggestion or not risky_calls(local, language_id):
        return None
    return screen(prefix + suffix, prefix + suggestion + suffix, language_id, mode,
                  "suggestion")


class _Region(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class _Fix(Protocol):
    @property
    def ok(self) -> bool: ...
    @property
    def region(self) -> _Region: ...
    @property
    def replacement(self) -> str: ...


def screen_fix(text: str, fix: _Fix, language_id: str, mode: str) -> str | None:
    """``screen`` for a fix replacing its region of ``text``; the code around it is the
    document within ``SURROUNDING_CHARS`` of the region."""
    if not fix.ok or not risky_calls(fix.replacement, language_id):
        return None
    start, end = fix.region.start, fix.region.end
    head = text[max(0, start - SURROUNDING_CHARS):start]
    tail = text[end:end + SURROUNDING_CHARS]
    return screen(head + text[start:end] + tail, head + fix.replacement + tail, language_id,
                  mode, "fix")
