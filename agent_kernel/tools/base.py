"""What every tool shares: the error type, the context a call runs in, the tool protocol.

`OUTPUT_CAP` and `cap_output` come from `project.bounded_process`, where test runs cap theirs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..project.bounded_process import OUTPUT_CAP, cap_output
from ..project.workspace import PathRefused

if TYPE_CHECKING:
    from pathlib import Path

    from ..project.workspace import Workspace

__all__ = ["OUTPUT_CAP", "AnswerProvider", "Tool", "ToolContext", "ToolError", "cap_output"]


class ToolError(Exception):
    """A tool call that failed in a way the model should read and act on (is_error result)."""


AnswerProvider = Callable[[str, list[str] | None], str | None]
"""Answers an `ask_user` question; returns None when nobody is there to answer."""


@dataclass
class ToolContext:
    """Everything a tool may touch during one run."""

    workspace: Workspace
    answer: AnswerProvider | None = None
    test_timeout: float = 120.0
    extra: dict[str, Any] = field(default_factory=dict)
    stop_event: threading.Event | None = None  # set by Stop: a test run in flight is killed

    def resolve(self, path: str) -> Path:
        """A workspace path for a tool, or ToolError (the model reads why it was refused)."""
        try:
            return self.workspace.resolve(path)
        except PathRefused as exc:
            raise ToolError(str(exc)) from None


class Tool(Protocol):
    name: str
    # A tool may also set `quick = True`: it answers in milliseconds, so a view need not
    # show the call before its result (see display.NotebookRenderer).

    def definition(self) -> dict[str, Any]:
        """The tool parameter sent to the Messages API."""
        ...

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        """Run the tool; raise ToolError for an error result the model should see."""
        ...
