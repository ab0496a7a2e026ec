"""Bug fixes and explanations, free of LSP types:

    request → region (the smallest function or block around the range; see regions.py)
            → prompt (prompts/fix.toml or explain.toml: the model's chat template, or the
              completion-style one for base models)
            → generate (on the worker thread, in steps that give way to completions)
            → fix: splice the answer into the region, re-parse, minimal edits
              explain: Markdown, cut where a small model starts repeating itself

Base models that cannot follow instructions (no chat template) fix differently when the engine
can score text (local engines): hearth searches for the small edit the model finds likeliest
(fix_search.py) instead of asking for a corrected version.

Modules: requests.py (what is asked and answered), assistant.py (the entry point for one
engine), session.py (the resumable generation), rewrite.py (fixes the model writes),
search_session.py + fix_search.py (fixes found by search; with fix_reading.py, fix_candidates.py,
mutations.py + scope_names.py, dataflow.py), explain.py (explanations; with code_facts.py +
tree_reading.py).

A session is advanced by the worker until it is done. Between tokens it yields when a more urgent
job (a completion) waits, so a long fix never delays ghost text: the next step resumes from the
text generated so far.
"""

from __future__ import annotations

from .assistant import Assistant
from .explain import ExplainSession, explain_region, locale_table
from .requests import (
    ExplainRequest,
    ExplainResult,
    FixReason,
    FixRequest,
    FixResult,
    Problem,
    ProgressCallback,
)
from .rewrite import FixSession
from .search_session import SearchFixSession
from .session import Session

__all__ = [
    "Assistant", "ExplainRequest", "ExplainResult", "ExplainSession", "FixReason", "FixRequest",
    "FixResult", "FixSession", "Problem", "ProgressCallback", "SearchFixSession", "Session",
    "explain_region", "locale_table",
]
