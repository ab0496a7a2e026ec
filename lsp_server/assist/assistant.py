"""The fix and explanation entry point for one loaded engine."""

from __future__ import annotations

from ..config import Settings
from ..engines.base import CancelToken, Engine
from ..instructions import Instruction, load_instruction
from .explain import ExplainSession
from .fix_search import can_search
from .requests import ExplainRequest, ExplainResult, FixRequest, FixResult
from .rewrite import FixSession
from .search_session import SearchFixSession


class Assistant:
    """Fixes and explanations with one loaded engine (built again when the model changes)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.fix_prompt: Instruction = load_instruction("fix", settings.prompts_dir)
        self.explain_prompt: Instruction = load_instruction("explain", settings.prompts_dir)

    @property
    def searches_fixes(self) -> bool:
        """Whether fixes are searched (``hearth.fixMethod``; by default for a base model on
        an engine that scores text) rather than written by the model from the fix prompt."""
        method = self.settings.fix_method
        if method == "rewrite" or not can_search(self.engine):
            return False
        return method == "search" or not self.engine.info.chat_template

    def fix_session(self, request: FixRequest) -> FixSession | SearchFixSession:
        if self.searches_fixes:
            return SearchFixSession(self, request)
        return FixSession(self, request)

    def explain_session(self, request: ExplainRequest) -> ExplainSession:
        return ExplainSession(self, request)

    def fix(self, request: FixRequest, cancel: CancelToken) -> FixResult:
        """Run a fix to the end on the calling thread (CLI, evaluation)."""
        session = self.fix_session(request)
        while not session.advance(cancel):
            pass
        return session.result()

    def explain(self, request: ExplainRequest, cancel: CancelToken) -> ExplainResult:
        session = self.explain_session(request)
        while not session.advance(cancel):
            pass
        return session.result()
