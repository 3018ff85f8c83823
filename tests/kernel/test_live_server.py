"""Live mode end to end over real HTTP, against a loopback Messages API server.

The server sees exactly what the Messages API would: the key in `Authorization: Bearer` (or
`x-api-key`), the cached system prompt and tools, one moving breakpoint on the latest
message, and the text editor declared as `text_editor_20250728`.
"""

from __future__ import annotations

import json

import pytest

from agent_kernel.agent.definition import load_agent
from agent_kernel.agent.runner import run_agent
from agent_kernel.api.client import make_client

EPHEMERAL = {"type": "ephemeral"}


def breakpoints(value) -> int:
    return json.dumps(value).count('"cache_control"')


@pytest.fixture
def live_run(live_env, messages_server, workspace, history, fake_checks, kit):
    key = kit.canary()
    live_env(key)

    def run(turns, prompt=kit.PROMPT, **kwargs):
        messages_server.script(turns)
        handle = make_client("live")
        result = run_agent(
            prompt,
            handle=handle,
            agent=load_agent(),
            workspace=workspace,
            history_dir=history,
            **kwargs,
        )
        return result

    run.key = key
    return run


def test_a_full_live_run_over_http(live_run, messages_server, kit, workspace):
    result = live_run(kit.ping_turns())

    assert result.status == "ok", result.reason
    assert result.mode == "live" and result.source == "live"
    assert result.files_changed == kit.PING_FILES
    assert len(messages_server.received) == 3
    assert {r.path for r in messages_server.received} == {"/v1/messages"}
    assert result.usage.output_tokens > 0 and result.cost_usd > 0


def test_the_server_receives_the_key(live_run, messages_server, kit):
    live_run(kit.ping_turns())

    for request in messages_server.received:
        headers = request.headers
        sent = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
        assert sent == live_run.key
        assert headers.get("anthropic-version")


def test_every_request_streams_with_the_resolved_model(live_run, messages_server, kit):
    live_run(kit.ping_turns())
    model = load_agent().resolved_model()
    for request in messages_server.received:
        assert request.body["stream"] is True
        assert request.body["model"] == model
        assert request.body["max_tokens"] > 0


def test_prompt_caching_breakpoints(live_run, messages_server, kit):
    live_run(kit.ping_turns())

    for number, request in enumerate(messages_server.received, 1):
        body = request.body
        [system] = body["system"]
        assert system["type"] == "text" and system["cache_control"] == EPHEMERAL
        assert load_agent().system_prompt in system["text"]
        assert "## This workspace" in system["text"]  # live facts about the workspace
        tools = body["tools"]
        assert tools[-1]["cache_control"] == EPHEMERAL
        assert breakpoints(tools[:-1]) == 0
        messages = body["messages"]
        assert len(messages) == 2 * number - 1
        assert breakpoints(messages[:-1]) == 0, f"request {number}: an old breakpoint stayed"
        assert messages[-1]["content"][-1]["cache_control"] == EPHEMERAL
        assert breakpoints(body) == 3  # system, last tool, latest message: within the limit


def test_the_tools_are_declared_as_the_api_expects(live_run, messages_server, kit):
    live_run(kit.ping_turns())
    tools = messages_server.received[0].body["tools"]
    names = [tool["name"] for tool in tools]

    assert names == [
        "str_replace_based_edit_tool",
        "run_tests",
        "inspect_api",
        "ask_user",
        "submit_result",
        "run_command",  # the agent file's `Bash`
    ]
    assert tools[0] == {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}
    for tool in tools[1:]:
        assert tool["input_schema"]["type"] == "object"
        assert tool["description"]


def test_tool_results_go_back_for_every_call(live_run, messages_server, kit):
    live_run(kit.ping_turns())
    second = messages_server.received[1].body["messages"]
    third = messages_server.received[2].body["messages"]

    assert [b["tool_use_id"] for b in second[-1]["content"]] == ["toolu_scripted_01_1"]
    assert [b["tool_use_id"] for b in third[-1]["content"]] == [
        f"toolu_scripted_02_{i}" for i in (1, 2, 3, 4)
    ]
    assert second[1]["role"] == "assistant"
    assert second[1]["content"][1]["name"] == "str_replace_based_edit_tool"


def test_a_live_fault_is_retried_then_succeeds(live_run, messages_server, kit):
    overloaded = {"error": {"status": 529, "type": "overloaded_error", "message": "Overloaded"}}
    result = live_run([overloaded, *kit.ping_turns()])

    assert result.status == "ok", result.reason
    assert len(messages_server.received) == 4


def test_a_live_fault_that_persists_is_one_line(live_run, messages_server, kit):
    server = {"error": {"status": 500, "type": "api_error", "message": "Internal"}}
    result = live_run([server, server, server])

    assert result.status == "error"
    assert result.reason == "API error 500 (api_error) after 2 retries: Internal"
    assert result.phr_path.is_file()


def test_an_unreachable_server_is_one_line(monkeypatch, workspace, history, kit):
    from agent_kernel.settings import reload_settings

    monkeypatch.setenv("ANTHROPIC_API_KEY", kit.canary())
    import socket

    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("WORKBENCH_MAX_RETRIES", "0")
    reload_settings()
    result = run_agent(
        kit.PROMPT,
        handle=make_client("live"),
        agent=load_agent(),
        workspace=workspace,
        history_dir=history,
    )
    assert result.status == "error"
    assert result.reason.startswith("could not reach the API")
    assert "\n" not in result.reason
