"""MCP client: the servers a run may use, as Claude Code's `.mcp.json` describes them.

What lives here: `config` (reading `.mcp.json` and inline server maps, `${VAR}` expansion as
Claude Code does it), `connection` (the live client sessions on the official `mcp` SDK,
stdio subprocesses and streamable HTTP, run on one background event loop so the synchronous
agent loop can call them) and `results` (an MCP tool result as the text the model reads).
The adapter that makes each MCP tool one of the agent's tools is `tools/mcp_tool.py`.

Layer 5, below `tools/` (which imports it). May import: `history/` (redaction) and `settings`
only, never the agent, the facade or a front end.
"""

from __future__ import annotations

from .config import McpConfigError, ServerConfig, expand_vars, load_mcp_config, parse_servers
from .connection import McpCallError, McpHub, McpServerError, RemoteTool
from .results import RESULT_CAP, McpResultError, result_text

__all__ = [
    "RESULT_CAP",
    "McpCallError",
    "McpConfigError",
    "McpHub",
    "McpResultError",
    "McpServerError",
    "RemoteTool",
    "ServerConfig",
    "expand_vars",
    "load_mcp_config",
    "parse_servers",
    "result_text",
]
