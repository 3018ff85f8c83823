"""The tool names an agent file may list, in Claude Code's terms, and what each means here.

See `toolset` for the mapping; this module holds the table and the check, and imports
nothing else of the agent, so `definition` can reject an unknown name when the file is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..tools.mcp_tool import PREFIX, mcp_tool_name


class ToolNameError(ValueError):
    """A `tools:` entry that names nothing Claude Code or the workbench knows."""


EDITOR = "str_replace_based_edit_tool"
NATIVE_ORDER = (EDITOR, "run_tests", "inspect_api", "ask_user", "submit_result", "run_command")
CLAUDE_CODE_NAMES = {
    "Read": EDITOR,
    "Edit": EDITOR,
    "Write": EDITOR,
    "MultiEdit": EDITOR,
    "Glob": EDITOR,
    "Grep": "run_command",
    "Bash": "run_command",
    "AskUserQuestion": "ask_user",
}
WORKBENCH_SERVER = "workbench"
WORKBENCH_MCP_TOOLS: dict[str, str | None] = {
    "run_tests": "run_tests",
    "inspect_api": "inspect_api",
    "validate_contract": "submit_result",
    "live_check": None,
    "record_phr": None,
    "suggest_adr": None,
    "create_adr": None,
}


@dataclass
class ToolPolicy:
    """What `tools:` allows: native tool names, and MCP tools as (server, tool or '*')."""

    native: set[str] = field(default_factory=set)
    mcp: set[tuple[str, str]] = field(default_factory=set)
    everything: bool = False

    def allows_mcp(self, server: str, tool: str) -> bool:
        if self.everything:
            return True
        return (server, "*") in self.mcp or (server, tool) in self.mcp

    def servers(self) -> set[str]:
        return {server for server, _ in self.mcp}


def _accepted_names() -> str:
    names = [*CLAUDE_CODE_NAMES, *NATIVE_ORDER, "mcp__workbench__*"]
    names += [mcp_tool_name(WORKBENCH_SERVER, t) for t in WORKBENCH_MCP_TOOLS]
    return ", ".join([*names, "mcp__<server>__<tool>", "mcp__<server>__*"])


def tool_policy(names: Iterable[str], where: str = "agent definition") -> ToolPolicy:
    """The policy a `tools:` list states; an unknown name raises, naming what is accepted."""
    names = list(names)
    policy = ToolPolicy(everything=not names)
    for name in names:
        if name in CLAUDE_CODE_NAMES:
            policy.native.add(CLAUDE_CODE_NAMES[name])
        elif name in NATIVE_ORDER:
            policy.native.add(name)
        elif name.startswith(PREFIX):
            server, _, tool = name.removeprefix(PREFIX).partition("__")
            tool = tool or "*"
            if not server:
                raise ToolNameError(f"{where}: tool {name!r} names no server")
            if server == WORKBENCH_SERVER:
                if tool == "*":
                    policy.native.update(t for t in WORKBENCH_MCP_TOOLS.values() if t)
                elif tool in WORKBENCH_MCP_TOOLS:
                    mapped = WORKBENCH_MCP_TOOLS[tool]
                    if mapped:
                        policy.native.add(mapped)
                else:
                    raise ToolNameError(
                        f"{where}: `workbench mcp` serves no tool {tool!r}; it serves "
                        + ", ".join(WORKBENCH_MCP_TOOLS)
                    )
            else:
                policy.mcp.add((server, tool))
        else:
            raise ToolNameError(
                f"{where}: unknown tool {name!r} in `tools:`; the workbench accepts "
                + _accepted_names()
            )
    return policy
