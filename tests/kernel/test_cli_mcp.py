"""`workbench run --mcp-config FILE` and `workbench mcp`'s usage errors, in process."""

from __future__ import annotations

import json
from pathlib import Path

from mcp_support import demo_stdio

from agent_kernel.agent.trajectory import load_trajectory
from agent_kernel.terminal.cli import main

AGENT = """---
name: cli-mcp-agent
description: Uses the demo server.
tools: Read, Write, Edit, mcp__demo__add
---

You add numbers through MCP.
"""


def test_a_bad_mcp_config_is_a_usage_error_before_anything_runs(tmp_path, capsys):
    bad = tmp_path / "servers.json"
    bad.write_text(json.dumps({"mcpServers": {"x": {"url": "http://h/${NOPE_TOKEN}"}}}))

    assert main(["run", "hello", "--mcp-config", str(bad), "--mode", "replay"]) == 2
    assert "NOPE_TOKEN is not set" in capsys.readouterr().err
    assert main(["run", "hello", "--mcp-config", str(tmp_path / "none.json")]) == 2


def test_workbench_mcp_refuses_a_bad_port_or_folder(tmp_path, capsys):
    assert main(["mcp", "--http", "0"]) == 2
    assert main(["mcp", "--workspace", str(tmp_path / "missing")]) == 2
    assert "no project folder" in capsys.readouterr().err


def test_a_cli_run_calls_the_configured_server(script, tmp_path, capsys, fake_checks, kit):
    config = tmp_path / "servers.json"
    config.write_text(json.dumps({"mcpServers": {"demo": demo_stdio()}}))
    agent = tmp_path / "agent.md"
    agent.write_text(AGENT)
    turns = [
        {"tool_calls": [{"name": "mcp__demo__add", "input": {"a": 40, "b": 2}}]},
        *[{"tool_calls": [edit]} for edit in kit.PING_EDITS],
        kit.submit(),
    ]
    cassette = script(turns)
    argv = ["run", kit.PROMPT, "--mode", "replay", "--cassette", str(cassette)]
    argv += ["--agent", str(agent), "--mcp-config", str(config), "--json"]
    argv += ["--workspace", str(tmp_path / "ws"), "--history", str(tmp_path / "history")]

    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["status"] == "ok"
    messages = load_trajectory(result["trajectory_path"])["messages"]
    call = messages[1]["content"][0]
    answer = messages[2]["content"][0]
    assert call["name"] == "mcp__demo__add"
    assert answer["tool_use_id"] == call["id"] and answer["content"] == "42"
    assert "sources consulted: mcp__demo__add" in Path(result["phr_path"]).read_text()
