"""A run with MCP servers: their tools are offered, called, traced, saved and recorded like
any tool; a server that fails costs one error result and a warning, never the run."""

from __future__ import annotations

import json
import sys

from mcp_support import demo_stdio

from agent_kernel.agent.definition import parse_agent
from agent_kernel.agent.events import Notice
from agent_kernel.agent.runner import run_agent
from agent_kernel.agent.trajectory import load_trajectory
from agent_kernel.api.client import make_client

AGENT = """---
name: mcp-agent
description: Uses MCP servers.
tools: Read, Edit, Write, mcp__workbench__run_tests, mcp__demo__*, mcp__broken__lookup
---

You use MCP tools.
"""


def test_mcp_calls_run_for_real_in_replay_and_show_everywhere(
    script, workspace, history, fake_checks, kit
):
    turns = [
        {
            "text": "Asking the demo server, then a broken one.",
            "tool_calls": [
                {"name": "mcp__demo__add", "input": {"a": 20, "b": 22}},
                {"name": "mcp__broken__lookup", "input": {"q": "x"}},
                {"name": "mcp__demo__crash", "input": {}},
                {"name": "mcp__demo__add", "input": {"a": 1, "b": 1}},
            ],
        },
        *[{"tool_calls": [edit]} for edit in kit.PING_EDITS],
        kit.submit(),
    ]
    cassette = script(turns)
    servers = {
        "demo": demo_stdio(),
        "broken": {"command": sys.executable, "args": ["-c", "raise SystemExit('bad config')"]},
        "unused": {"command": "/nonexistent/never-started"},
    }
    events: list = []
    result = run_agent(
        kit.PROMPT,
        handle=make_client("replay", cassette=cassette),
        agent=parse_agent(AGENT),
        workspace=workspace,
        history_dir=history,
        observers=[events.append],
        mcp_servers=servers,
    )

    assert result.status == "ok", result.reason
    calls = [(e.name, e.is_error, e.output) for e in result.tool_trace[:4]]
    assert calls[0] == ("mcp__demo__add", False, "42")
    assert calls[1][:2] == ("mcp__broken__lookup", True) and "bad config" in calls[1][2]
    assert calls[2][:2] == ("mcp__demo__crash", True) and "went away" in calls[2][2]
    assert calls[3][:2] == ("mcp__demo__add", True)

    warnings = [e.message for e in events if isinstance(e, Notice) and e.level == "warning"]
    assert len(warnings) == 1 and "broken" in warnings[0]  # `unused`: no listed name uses it

    trajectory = load_trajectory(result.trajectory_path)
    results = [
        block
        for message in trajectory["messages"]
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert results[0]["content"] == "42" and not results[0].get("is_error")
    assert results[1]["is_error"] is True
    assert any(s["kind"] == "notice" and "broken" in s["message"] for s in trajectory["steps"])

    phr = result.phr_path.read_text(encoding="utf-8")
    assert "sources consulted: mcp__broken__lookup, mcp__demo__add, mcp__demo__crash" in phr


def test_the_model_is_offered_the_servers_tools_with_their_schemas(
    script, workspace, history, fake_checks, kit
):
    handle = make_client("replay", cassette=script([kit.submit()]))
    run_agent(
        kit.PROMPT,
        handle=handle,
        agent=parse_agent(AGENT),
        workspace=workspace,
        history_dir=history,
        mcp_servers={"demo": demo_stdio()},
    )
    tools = handle.replay.requests[0]["tools"]
    names = [tool["name"] for tool in tools]
    assert names[:3] == ["str_replace_based_edit_tool", "run_tests", "submit_result"]
    assert set(names[3:]) == {
        f"mcp__demo__{n}" for n in ("add", "fail", "crash", "slow", "big", "env")
    }
    add = next(tool for tool in tools if tool["name"] == "mcp__demo__add")
    assert json.dumps(add["input_schema"]).count('"integer"') == 2
