"""The MCP client against real servers (the SDK's own MCPServer, stdio and streamable HTTP):
discovery, calls, and every way a server can fail without taking the run down."""

from __future__ import annotations

import json
import sys

import pytest
from mcp_support import DEMO, demo_stdio, free_port, http_server

from agent_kernel.history.redaction import redact
from agent_kernel.mcp import McpConfigError, McpHub, load_mcp_config, parse_servers
from agent_kernel.tools.base import ToolError
from agent_kernel.tools.mcp_tool import mcp_tools


def tools_of(hub: McpHub) -> dict:
    return {tool.name: tool for tool in mcp_tools(hub)}


@pytest.fixture
def demo():
    with McpHub(parse_servers({"demo": demo_stdio()}), call_timeout=2.0) as hub:
        yield hub


def test_discovery_names_tools_after_claude_code_and_keeps_their_schemas(demo):
    tools = tools_of(demo)

    assert set(tools) == {f"mcp__demo__{n}" for n in ("add", "fail", "crash", "slow", "big", "env")}
    definition = tools["mcp__demo__add"].definition()
    assert definition["input_schema"]["properties"].keys() == {"a", "b"}
    assert definition["input_schema"]["required"] == ["a", "b"]
    assert "Add two integers." in definition["description"]


def test_a_call_returns_the_servers_answer(demo):
    assert tools_of(demo)["mcp__demo__add"]({"a": 2, "b": 40}, None) == "42"


def test_an_error_result_is_a_tool_error_with_the_servers_message(demo):
    with pytest.raises(ToolError, match=r"returned an error: .*no thanks"):
        tools_of(demo)["mcp__demo__fail"]({"reason": "no thanks"}, None)


def test_a_slow_call_past_its_timeout_is_an_error_and_the_server_still_answers(demo):
    tools = tools_of(demo)
    with pytest.raises(ToolError, match=r"timed out after 2s"):
        tools["mcp__demo__slow"]({"seconds": 6}, None)

    assert tools["mcp__demo__add"]({"a": 1, "b": 1}, None) == "2"


def test_an_oversized_result_is_an_error_not_a_silent_cut(demo):
    tools = tools_of(demo)
    with pytest.raises(ToolError, match="more than the 50,000"):
        tools["mcp__demo__big"]({"size": 60_000}, None)

    assert tools["mcp__demo__big"]({"size": 10}, None) == "x" * 10


def test_a_crash_mid_run_is_an_error_for_that_call_and_later_calls_say_so(demo):
    tools = tools_of(demo)
    with pytest.raises(ToolError, match="went away during a call to 'crash'"):
        tools["mcp__demo__crash"]({}, None)
    with pytest.raises(ToolError, match="went away"):
        tools["mcp__demo__add"]({"a": 1, "b": 2}, None)
    assert "demo" in demo.failures


def test_a_server_that_will_not_start_is_recorded_and_the_others_work():
    servers = parse_servers(
        {
            "missing": {"command": "/nonexistent/mcp-server"},
            "exits": {"command": sys.executable, "args": ["-c", "import sys; sys.exit('no way')"]},
            "demo": demo_stdio(),
        }
    )
    with McpHub(servers) as hub:
        failures = hub.failures
        assert set(failures) == {"missing", "exits"}
        assert "could not be started" in failures["missing"]
        assert "no way" in failures["exits"]  # its stderr says why
        assert tools_of(hub)["mcp__demo__add"]({"a": 3, "b": 4}, None) == "7"


def test_a_server_that_hangs_at_start_times_out():
    hang = {"command": sys.executable, "args": ["-c", "import time; time.sleep(60)"]}
    with McpHub(parse_servers({"hang": hang}), connect_timeout=1.5) as hub:
        assert "did not answer within 1.5s" in hub.failures["hang"]
        assert hub.tools == []


def test_env_expansion_reaches_the_server_and_the_value_is_redacted(tmp_path, monkeypatch):
    token = "tok-" + "9f3a7c1e5b2d4f6a8c0e"
    monkeypatch.setenv("DEMO_API_TOKEN", token)
    config = tmp_path / ".mcp.json"
    spec = demo_stdio(env={"API_TOKEN": "${DEMO_API_TOKEN}", "MODE": "${DEMO_MODE:-plain}"})
    config.write_text(json.dumps({"mcpServers": {"demo": spec}}), encoding="utf-8")

    servers = load_mcp_config(config)
    with McpHub(servers) as hub:
        tools = tools_of(hub)
        assert tools["mcp__demo__env"]({"name": "API_TOKEN"}, None) == token
        assert tools["mcp__demo__env"]({"name": "MODE"}, None) == "plain"
    assert token not in redact(f"the header was {token}")


def test_expansion_covers_command_args_url_and_headers_and_refuses_an_unset_variable():
    environ = {"PY": sys.executable, "HOST": "127.0.0.1:9", "KEY": "k-1234567890"}
    servers = parse_servers(
        {
            "a": {"command": "${PY}", "args": [f"${{SCRIPT:-{DEMO}}}"]},
            "b": {"type": "http", "url": "http://${HOST}/mcp", "headers": {"X-Key": "${KEY}"}},
        },
        environ=environ,
    )
    assert servers["a"].command == sys.executable
    assert servers["a"].args == (str(DEMO),)
    assert servers["b"].url == "http://127.0.0.1:9/mcp"
    assert servers["b"].headers == {"X-Key": "k-1234567890"}
    assert "k-1234567890" not in servers["b"].describe()

    with pytest.raises(McpConfigError, match="MISSING_TOKEN is not set and has no default"):
        parse_servers({"c": {"type": "http", "url": "http://x/${MISSING_TOKEN}"}}, environ={})


def test_a_malformed_config_is_a_clear_error(tmp_path):
    bad = tmp_path / ".mcp.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(McpConfigError, match="not a readable JSON file"):
        load_mcp_config(bad)
    with pytest.raises(McpConfigError, match="needs a `command`"):
        parse_servers({"x": {"args": ["a"]}})


def test_streamable_http_discovery_and_call():
    port = free_port()
    with http_server([sys.executable, str(DEMO), "--http", str(port)], port) as url:
        servers = parse_servers({"remote": {"type": "http", "url": url}})
        with McpHub(servers, call_timeout=2.0) as hub:
            tools = tools_of(hub)
            assert "mcp__remote__add" in tools
            assert tools["mcp__remote__add"]({"a": 20, "b": 22}, None) == "42"
            with pytest.raises(ToolError, match="timed out"):
                tools["mcp__remote__slow"]({"seconds": 5}, None)


def test_an_unreachable_http_server_is_a_start_failure():
    url = f"http://127.0.0.1:{free_port()}/mcp"
    with McpHub(parse_servers({"gone": {"type": "http", "url": url}}), connect_timeout=10) as hub:
        assert (
            "could not be started" in hub.failures["gone"]
            or "did not answer" in hub.failures["gone"]
        )


def test_a_secret_named_variable_in_a_url_is_redacted_too():
    token = "url-" + "5e8c2a9f1d7b3e6a"
    servers = parse_servers(
        {"r": {"type": "http", "url": "http://127.0.0.1:9/mcp?key=${API_TOKEN}"}},
        environ={"API_TOKEN": token},
    )
    assert servers["r"].url.endswith(token)
    assert token not in redact(servers["r"].url)


def test_stop_abandons_a_call_in_flight_and_the_server_still_answers(demo, workspace):
    import threading
    import time

    from agent_kernel.tools.base import ToolContext

    stop = threading.Event()
    ctx = ToolContext(workspace=workspace, stop_event=stop)
    threading.Timer(0.5, stop.set).start()
    tools = tools_of(demo)
    started = time.monotonic()
    with pytest.raises(ToolError, match="stopped"):
        tools["mcp__demo__slow"]({"seconds": 1.8}, ctx)
    assert time.monotonic() - started < 1.5
    stop.clear()
    assert tools["mcp__demo__add"]({"a": 5, "b": 5}, ctx) == "10"
