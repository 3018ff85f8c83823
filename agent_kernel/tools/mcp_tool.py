"""MCP tools as the agent's tools: `mcp__<server>__<tool>`, with the server's own schema.

The name is Claude Code's, so one agent file's `tools:` list means the same in both. A
failure of any kind (the server would not start, went away, timed out, answered with an
error or with too much) is a ToolError: an `is_error` result for that call alone.
"""

from __future__ import annotations

from typing import Any

from ..mcp.connection import McpCallError, McpHub, McpServerError, RemoteTool
from ..mcp.results import McpResultError, result_text
from .base import ToolContext, ToolError

PREFIX = "mcp__"
NAME_CAP = 64  # the Messages API's limit on a tool name


def mcp_tool_name(server: str, tool: str) -> str:
    return f"{PREFIX}{server}__{tool}"


class McpTool:
    """One tool of one MCP server, called through the run's hub."""

    def __init__(self, hub: McpHub, remote: RemoteTool) -> None:
        self.hub = hub
        self.remote = remote
        self.name = mcp_tool_name(remote.server, remote.name)

    def definition(self) -> dict[str, Any]:
        schema = dict(self.remote.input_schema or {})
        schema.setdefault("type", "object")
        description = (
            self.remote.description or f"{self.remote.name} (MCP server {self.remote.server})"
        )
        return {
            "name": self.name,
            "description": f"[MCP server {self.remote.server}] {description}",
            "input_schema": schema,
        }

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        where = f"MCP tool {self.remote.server}/{self.remote.name}"
        try:
            cancel = ctx.stop_event if ctx is not None else None
            result = self.hub.call(
                self.remote.server, self.remote.name, dict(tool_input), cancel=cancel
            )
            return result_text(result, where=where)
        except (McpServerError, McpCallError, McpResultError) as exc:
            raise ToolError(str(exc)) from None


class UnavailableMcpServer:
    """A configured server that would not start: calling any of its tools says why.

    Offered only when the agent file names one of the server's tools explicitly, so the
    model, which was told of the tool, reads the reason instead of 'unknown tool'.
    """

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": f"Unavailable in this run: {self.reason[:300]}",
            "input_schema": {"type": "object", "additionalProperties": True},
        }

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        raise ToolError(self.reason)


def mcp_tools(hub: McpHub) -> list[McpTool]:
    """Every tool the hub's servers list, under names the Messages API accepts."""
    tools = []
    for remote in hub.tools:
        tool = McpTool(hub, remote)
        if len(tool.name) <= NAME_CAP:
            tools.append(tool)
    return tools
