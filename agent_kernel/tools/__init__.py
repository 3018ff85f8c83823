"""The agent's tools (layer 4), one module each, and the pieces the loop and front ends reuse.

May import: `project` (workspace, test runs), `history`, `contract`, `settings`.
"""

from __future__ import annotations

from .ask_user import NOBODY, AskUserTool, answers_from, chain, cli_answer
from .base import OUTPUT_CAP, AnswerProvider, Tool, ToolContext, ToolError, cap_output
from .editor import TextEditorTool
from .inspect_api import InspectApiTool
from .run_tests import RunTestsTool, run_pytest
from .submit_result import CheckResult, SubmitResultTool


def default_tools() -> list[Tool]:
    """The workbench's tools, in the order they are offered to the model."""
    return [TextEditorTool(), RunTestsTool(), InspectApiTool(), AskUserTool(), SubmitResultTool()]


__all__ = [
    "NOBODY",
    "OUTPUT_CAP",
    "AnswerProvider",
    "AskUserTool",
    "CheckResult",
    "InspectApiTool",
    "RunTestsTool",
    "SubmitResultTool",
    "TextEditorTool",
    "Tool",
    "ToolContext",
    "ToolError",
    "answers_from",
    "cap_output",
    "chain",
    "cli_answer",
    "default_tools",
    "run_pytest",
]
