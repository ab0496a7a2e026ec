"""The completion spine, free of LSP types:

    request → plan (is a suggestion wanted here? one line, a block, or the lines a hole
                    needs: an empty line with code after it, ``holes``)
            → context (prefix/suffix windows within the token budget, then the project:
                       scope chain, imports, symbols from the workspace index, similar code,
                       and the project's functions worth calling here, ``project_helpers``)
            → prompt (the model family's template, stable parts first)
            → generate (the warm engine, on the worker thread)
            → postprocess (trim, balance, cut at the block's end or where the hole ends)
            → check (no new syntax errors, fits the layout, defines what a hole needs); if it
                     fails and the engine can branch: explore alternatives (at once when a
                     helper or a hole's missing name is worth trying) and rank them by how they
                     lead into the suffix
            → screen (no process, deletion or network call the code around it does not make)

Everything here runs on the worker thread that owns the engine.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from . import holes, languages, postprocess, ranking, safety
from .config import Settings
from .context import TokenCounter, Window, cursor_line, cursor_window
from .documents import line_of
from .engines.base import (
    BranchingEngine,
    CancelToken,
    Engine,
    Generation,
    GenerationParams,
    Prompt,
)
from .index import WorkspaceIndex
from .project_context import ContextBuilder
from .prompts import Template
from .repo_context import render_completion
from .syntax import MAX_TREE_CHARS
from .syntax_trees import Parsed
from .workspace_files import excluded


@dataclass(frozen=True)
class CompletionRequest:
    uri: str
    text: str
    offset: int  # str index of the cursor in ``text``
    line_starts: Sequence[int]
    language_id: str = ""
    path: str = ""  # workspace-relative path, shown to the model
    invoked: bool = False  # explicitly asked for (not while typing)
    syntax: Parsed | None = None  # the document's tree for ``text``, when the caller keeps one
    single_line: bool = False  # never a block (benchmarks, clients that show one line)


@dataclass(frozen=True)
class CompletionResult:
    text: str  # to insert at the cursor; "" for no suggestion
    reason: str  # "ok", or why there is no suggestion
    generation: Generation | None = None
    prompt: Prompt | None = None  # what the engine was given, for `hearth.lastCompletion`
    context_ms: float = 0.0
    total_ms: float = 0.0
    considered: ranking.Ranking | None = None  # the candidates checked and ranked


class CompletionPipeline:
    """Built once per loaded model; ``complete`` is called per request."""

    def __init__(self, engine: Engine, template: Template, settings: Settings,
                 index: WorkspaceIndex | None = None) -> None:
        self.engine = engine
        self.template = template
        self.settings = settings
        self.counter = TokenCounter(engine.count_tokens)
        self.context = ContextBuilder(index)
        # Suffix-aware ranking needs an engine that can branch, and is for models without FIM
        # (a FIM model sees the suffix in its prompt).
        self.ranker = ranking.Ranker(engine) if isinstance(engine, BranchingEngine) \
            and not template.fim else None

    def complete(self, request: CompletionRequest, cancel: CancelToken) -> CompletionResult:
        start = time.monotonic()
        text, offset, starts = request.text, request.offset, request.line_starts
        if excluded(request.path, self.settings.exclude):
            return CompletionResult("", "excluded", total_ms=_ms(start))  # never in a prompt
        line = cursor_line(text, offset, starts)
        prev_line, next_line = _neighbour_lines(text, offset, starts)
        plan = postprocess.plan(line.before, line.after, prev_line, next_line, request.invoked)
        if plan is None:
            return CompletionResult("", "mid-word", total_ms=_ms(start))
        if request.single_line:
            plan = postprocess.Plan(multiline=False)

        budget = max(64, min(self.settings.prompt_tokens,
                             self.settings.context_size - self.settings.max_tokens - 16))
        suffix_budget = budget // 4 if self.template.fim else min(256, budget // 4)
        project_budget = budget // 4
        window = cursor_window(text, offset, starts, self.counter,
                               budget - suffix_budget - project_budget, suffix_budget)
        tree = self._syntax(request, window)
        project = self.context.build(request, tree, window, project_budget, self.counter)
        site = ranking.Site(request.language_id, window.prefix, window.suffix, line.eol, tree,
                            offset, project.members, helpers=project.helpers)
        if not request.single_line:
            hole = self._hole(site)
            if hole is not None:
                plan = postprocess.Plan(multiline=True, hole=hole)
                site = replace(site, hole=hole)
        prompt = render_completion(self.template, project, window.prefix, window.suffix,
                                   request.uri, request.path, request.language_id)
        context_ms = _ms(start)

        params = GenerationParams(
            max_tokens=self.settings.max_tokens,
            stop=self.template.stop,
            stop_when=postprocess.stop_condition(plan, line.before),
            # Heal a prompt cut inside a token; one ending at a line break is not.
            heal=not self.template.fim and not window.prefix.endswith(("\n", "\r")),
        )

        def finish(made: Generation) -> str:
            raw = made.text
            if plan.hole is not None and made.stop_reason not in ("stop", "eos"):
                raw = raw[:raw.rfind("\n") + 1]  # cut short: its last line is not whole
            return postprocess.finish(raw, plan, window.prefix, window.suffix, line.eol,
                                     request.language_id)

        search = self.settings.suggestion_search
        ranker = self.ranker if search != "off" else None
        generation: Generation | None = None
        firsts: list[ranking.Candidate] = []
        # Calls to the project's helpers, or definitions of the names the code below a hole
        # needs, are worth comparing with whatever the model writes: then exploring comes at
        # once, the greedy suggestion being one of its branches.
        if ranker is None or not (site.helpers or (plan.hole is not None and plan.hole.needs)):
            generation = self.engine.generate(prompt, params, cancel)
            if generation.stop_reason == "cancelled":
                return CompletionResult("", "cancelled", generation, prompt, context_ms,
                                        _ms(start))
            firsts = ranking.fills(finish(generation), site)
        best = ranking.choose(firsts, plan.hole is not None, request.language_id) if firsts \
            else ranking.Candidate("")
        considered = ranking.Ranking(candidates=firsts)
        if ranker is not None and not cancel.should_stop() \
                and ranker.worth_exploring(firsts, site, always=search == "always"):
            found, explore_ms = ranker.explore(prompt, params, site, cancel)
            generation = generation or (found[0] if found else None)
            best, considered = ranker.rank(prompt, params, firsts, [finish(g) for g in found],
                                           site, cancel, explore_ms)
        if cancel.cancelled:
            return CompletionResult("", "cancelled", generation, prompt, context_ms, _ms(start))
        suggestion = ranking.without_new_errors(best, site)
        if safety.screen_completion(window.prefix, suggestion, window.suffix,
                                    request.language_id, self.settings.risky_suggestions):
            return CompletionResult("", "risky", generation, prompt, context_ms, _ms(start),
                                    considered)
        return CompletionResult(suggestion, "ok" if suggestion else "empty", generation, prompt,
                                context_ms, _ms(start), considered)

    @staticmethod
    def _hole(site: ranking.Site) -> holes.Hole | None:
        """An empty line with code after it in the window: how much is missing there."""
        if not site.at_line_start:
            return None
        needs = tuple(ranking.undefined_names(site)) if languages.is_offside(
            site.language_id) else ()
        hole = holes.analyse(site.prefix, site.suffix, needs)
        return hole if hole is not None and hole.next_line is not None else None

    def _syntax(self, request: CompletionRequest, window: Window) -> Parsed | None:
        """The document's tree: the editor's copy when it matches the text, else parsed; for
        a document too large to parse, a tree of the window alone."""
        if request.syntax is not None and request.syntax.text == request.text:
            return request.syntax
        if len(request.text) <= MAX_TREE_CHARS:
            return Parsed.parse(request.text, request.language_id)
        return Parsed.region(request.text, request.language_id, window.prefix_start,
                             window.suffix_end, line_of(request.line_starts, window.prefix_start))


def _neighbour_lines(text: str, offset: int, starts: Sequence[int]) -> tuple[str, str]:
    line = bisect.bisect_right(starts, offset) - 1

    def get(index: int) -> str:
        if not 0 <= index < len(starts):
            return ""
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        return text[starts[index]:end].rstrip("\r\n")

    return get(line - 1), get(line + 1)


def _ms(start: float) -> float:
    return (time.monotonic() - start) * 1000
