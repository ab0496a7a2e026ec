"""Cross-file context in the layout a fill-in-the-middle model was trained on.

``project_context`` gathers what the model should know beyond the cursor's window and lays it out
as comments (right for base models, which read it as code). Code models were trained on whole
repositories instead: each other file under its path, between the model's own separator tokens,
then the current file (Qwen2.5-Coder's ``<|repo_name|>``/``<|file_sep|>``, StarCoder2's
``<repo_name>``/``<file_sep>``, CodeGemma's ``<|file_separator|>``). A template with a ``file``
layout gets the context split that way: the other files as (path, text) pairs for ``{files}``,
and this file's own part (imports, symbols, the scope chain) for ``{context}``. llama.cpp's
``/infill`` gets the same pairs as ``input_extra``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from .engines.base import Prompt
from .languages import comment_marker
from .project_context import OTHER_FILES, SNIPPETS, ProjectContext, file_path
from .prompts import Template

UNTITLED = "untitled"  # the path shown for a document not saved yet


@dataclass(frozen=True)
class RepoLayout:
    files: tuple[tuple[str, str], ...]  # (workspace-relative path, text), as gathered
    local: str  # this file's part: imports, its own symbols outside the window, scope headers


def repo_layout(project: ProjectContext, marker: str) -> RepoLayout:
    """The gathered items regrouped by file: one chunk per other file (its symbols, then its
    similar snippets), in the order the comment layout shows them."""
    chunks: dict[str, list[str]] = {}
    for item in sorted((i for i in project.items if i.group == OTHER_FILES),
                       key=lambda i: i.order):
        chunks.setdefault(item.source, []).append(item.text)
    for item in project.items:
        if item.group == SNIPPETS:  # carries a comment naming its file: the layout names it
            chunks.setdefault(item.source, []).append(
                item.text.removeprefix(f"{marker} {item.source}\n"))
    files = tuple((source, _ending_in_newline("".join(texts)))
                  for source, texts in chunks.items())
    local = sorted((i for i in project.items if i.group > SNIPPETS),
                   key=lambda i: (i.group, i.order))
    return RepoLayout(files, "".join(item.text for item in local))


def repo_name(uri: str, path: str) -> str:
    """The workspace folder's name: the file's location minus its workspace-relative path."""
    where = file_path(uri).replace("\\", "/")
    rel = path.replace("\\", "/").strip("/")
    if rel and where.endswith("/" + rel):
        root = where[: -len(rel) - 1]
        return posixpath.basename(root.rstrip("/"))
    return posixpath.basename(posixpath.dirname(where)) if where else ""


def render_completion(template: Template, project: ProjectContext, prefix: str, suffix: str,
                      uri: str, path: str, language_id: str) -> Prompt:
    """The completion prompt for ``template``: repository-level when it has a ``file`` layout,
    else the comment layout in ``{context}`` (base models, user templates of old)."""
    suffix = suffix if template.fim else ""
    if not template.repo_level:
        return template.render(context=project.text, prefix=prefix, suffix=suffix)
    marker = comment_marker(language_id)
    layout = repo_layout(project, marker)
    return template.render_files(layout.files, {
        "context": layout.local, "prefix": prefix, "suffix": suffix, "path": path or UNTITLED,
        "repo": repo_name(uri, path), "comment": marker})


def _ending_in_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"
