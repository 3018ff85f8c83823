"""What every tool shares: the error type, the context a call runs in, the tool protocol."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..project.workspace import Workspace

OUTPUT_CAP = 16_000


class ToolError(Exception):
    """A tool call that failed in a way the model should read and act on (is_error result)."""


def cap_output(text: str, limit: int = OUTPUT_CAP) -> str:
    """Keep the head and tail of long output so the model sees both ends."""
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - limit
    return f"{text[:half]}\n... [{cut} characters cut] ...\n{text[-half:]}"


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
