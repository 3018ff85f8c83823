"""The agent file as Claude Code reads it, and as the workbench maps it to its own tools."""

from __future__ import annotations

import re

import pytest
import yaml

from agent_kernel.agent.definition import AgentDefinitionError, default_agent_path, parse_agent
from agent_kernel.agent.tool_names import CLAUDE_CODE_NAMES, WORKBENCH_MCP_TOOLS, tool_policy
from agent_kernel.agent.toolset import agent_policy, open_toolset

# Claude Code's documented subagent front matter (code.claude.com/docs/en/sub-agents).
SUBAGENT_FIELDS = {
    "name",
    "description",
    "tools",
    "disallowedTools",
    "model",
    "permissionMode",
    "maxTurns",
    "skills",
    "mcpServers",
    "hooks",
    "memory",
    "background",
    "effort",
    "isolation",
    "initialPrompt",
    "color",
}
COLORS = {"red", "blue", "green", "yellow", "purple", "orange", "pink", "cyan"}
MODELS = {"sonnet", "opus", "haiku", "inherit"}
CLAUDE_CODE_BUILTINS = {
    "Read", "Edit", "Write", "MultiEdit", "Glob", "Grep", "Bash", "AskUserQuestion",
    "WebFetch", "WebSearch", "NotebookEdit", "TodoWrite", "Task", "Agent",
}  # fmt: skip
MCP_NAME = re.compile(r"^mcp__[A-Za-z0-9_-]+(__([A-Za-z0-9_-]+|\*))?$")


def front_matter() -> dict:
    text = default_agent_path().read_text(encoding="utf-8")
    return yaml.safe_load(text.split("\n---", 1)[0][3:])


def test_the_agent_file_uses_only_claude_codes_subagent_fields():
    meta = front_matter()
    assert set(meta) <= SUBAGENT_FIELDS, set(meta) - SUBAGENT_FIELDS
    assert re.fullmatch(r"[a-z][a-z0-9-]*", meta["name"])
    assert isinstance(meta["description"], str) and meta["description"].strip()
    assert meta["model"] in MODELS or meta["model"].startswith("claude-")
    assert meta["color"] in COLORS
    tools = [t.strip() for t in meta["tools"].split(",")]
    unknown = [t for t in tools if t not in CLAUDE_CODE_BUILTINS and not MCP_NAME.match(t)]
    assert unknown == [], "names Claude Code would not understand"


def test_every_workbench_mcp_tool_the_file_names_is_served(kit):
    tools = [t.strip() for t in front_matter()["tools"].split(",")]
    served = {t.removeprefix("mcp__workbench__") for t in tools if t.startswith("mcp__workbench__")}
    assert served <= set(WORKBENCH_MCP_TOOLS)
    assert {"run_tests", "inspect_api", "validate_contract"} <= served


def test_claude_code_names_map_to_the_workbench_tools():
    policy = tool_policy(["Read", "Bash", "AskUserQuestion", "mcp__workbench__validate_contract"])
    assert policy.native == {
        "str_replace_based_edit_tool",
        "run_command",
        "ask_user",
        "submit_result",
    }
    assert tool_policy(["mcp__workbench__*"]).native == {
        "run_tests", "inspect_api", "submit_result"
    }  # fmt: skip
    docs = tool_policy(["mcp__docs__*", "mcp__other__one"])
    assert docs.allows_mcp("docs", "api_doc") and docs.allows_mcp("other", "one")
    assert not docs.allows_mcp("other", "two") and not docs.allows_mcp("third", "x")
    assert set(CLAUDE_CODE_NAMES) >= {"Read", "Edit", "Write", "Grep", "Glob", "Bash"}


@pytest.mark.parametrize("name", ["WebFetch", "Bsh", "mcp__workbench__deploy", "mcp____x"])
def test_an_unknown_name_is_rejected_when_the_file_loads(name):
    text = f"---\nname: a\ndescription: b\ntools: Read, {name}\n---\nbody\n"
    with pytest.raises(AgentDefinitionError, match="tool"):
        parse_agent(text)


def test_the_tools_offered_follow_the_file(workspace):
    agent = parse_agent(
        "---\nname: a\ndescription: b\ntools: Read, mcp__workbench__run_tests\n---\nx\n"
    )
    with open_toolset(agent, workspace) as toolset:
        names = [tool.name for tool in toolset.tools]
    assert names == ["str_replace_based_edit_tool", "run_tests", "submit_result"]


def test_no_tools_line_means_every_tool_and_disallowed_tools_removes(workspace):
    every = parse_agent("---\nname: a\ndescription: b\n---\nx\n")
    assert "run_command" in agent_policy(every).native
    fewer = parse_agent("---\nname: a\ndescription: b\ndisallowedTools: Bash\n---\nx\n")
    assert "run_command" not in agent_policy(fewer).native
