"""Edits suppressed: the editor answers as if it wrote, and writes nothing.

Used by the notebook regression test that proves each notebook's checks bite: replayed with
the agent's edits suppressed, every capability notebook must fail.
"""

from __future__ import annotations

from typing import Any

from .base import Tool, ToolContext

WRITE_COMMANDS = {"create", "str_replace", "insert"}
SUPPRESS_ENV = "WORKBENCH_SUPPRESS_EDITS"


class SuppressedEdits:
    def __init__(self, editor: Tool) -> None:
        self.editor = editor
        self.name = editor.name
        self.quick = getattr(editor, "quick", False)

    def definition(self) -> dict[str, Any]:
        return self.editor.definition()

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        if tool_input.get("command") in WRITE_COMMANDS:
            return f"{tool_input.get('command')} {tool_input.get('path', '')}: done (suppressed)"
        return self.editor(tool_input, ctx)
