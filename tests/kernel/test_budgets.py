"""Budgets: turns, output tokens, cost and wall time stop a run cleanly and name the limit."""

from __future__ import annotations

import time

import pytest

from agent_kernel.agent.budget import Budget
from agent_kernel.agent.events import Notice
from agent_kernel.agent.models import price_for
from agent_kernel.agent.usage import Usage
from agent_kernel.tools.inspect_api import InspectApiTool


def look(number: int) -> dict:
    return {
        "text": f"Looking around, step {number}.",
        "tool_calls": [{"name": "inspect_api", "input": {"symbol": "fastapi"}}],
        "usage": {"input_tokens": 100, "output_tokens": 500},
    }


@pytest.fixture
def quick_inspect(monkeypatch):
    monkeypatch.setattr(InspectApiTool, "__call__", lambda self, tool_input, ctx: "fastapi 0.x")


def test_turn_limit(replay_run, script, kit, quick_inspect):
    result = replay_run(script([look(1), look(2), look(3), kit.submit()]), budget=Budget(2))

    assert result.status == "budget_exceeded"
    assert result.reason == "turn limit reached (2 of 2 turns)"
    assert result.turns == 2
    assert result.phr_path.is_file()
    assert "budget_exceeded" in result.phr_path.read_text(encoding="utf-8")


def test_output_token_limit(replay_run, script, kit, quick_inspect, read_trajectory):
    budget = Budget(max_output_tokens=900)
    result = replay_run(script([look(1), look(2), look(3), kit.submit()]), budget=budget)

    assert result.status == "budget_exceeded"
    assert result.reason == "output token limit reached (1000 of 900)"
    assert result.usage.output_tokens == 1000
    assert read_trajectory(result)["steps"][-1]["reason"] == result.reason


def test_output_token_budget_caps_max_tokens(
    script, kit, quick_inspect, fake_checks, workspace, history
):
    from agent_kernel.agent.definition import load_agent
    from agent_kernel.agent.runner import run_agent
    from agent_kernel.api.client import make_client

    handle = make_client("replay", cassette=script([look(1), kit.submit()]))
    result = run_agent(
        kit.PROMPT,
        handle=handle,
        agent=load_agent(),
        workspace=workspace,
        history_dir=history,
        budget=Budget(max_output_tokens=1200),
    )
    assert result.status == "ok", result.reason
    # What is left of the budget bounds each request: 1200, then 1200 - 500.
    assert [r["max_tokens"] for r in handle.replay.requests] == [1200, 700]


def test_cost_limit(replay_run, script, kit, quick_inspect):
    expensive = {"input_tokens": 1_000_000, "output_tokens": 10}
    turns = [dict(look(1), usage=expensive), dict(look(2), usage=expensive), kit.submit()]
    result = replay_run(script(turns), budget=Budget(max_cost_usd=0.5))

    assert result.status == "budget_exceeded"
    assert result.reason.startswith("cost limit reached ($3.0")
    assert "of $0.5000" in result.reason
    assert result.turns == 1
    assert result.cost_usd == pytest.approx(3.0 + 10 * 15 / 1e6)


def test_wall_time_limit(replay_run, script, kit, monkeypatch):
    def slow(self, tool_input, ctx):
        time.sleep(0.6)
        return "fastapi 0.x"

    monkeypatch.setattr(InspectApiTool, "__call__", slow)
    events: list = []
    result = replay_run(
        script([look(1), look(2), kit.submit()]),
        budget=Budget(max_seconds=0.5),
        observers=[events.append],
    )

    assert result.status == "budget_exceeded"
    assert result.reason.startswith("wall-time limit reached (")
    assert result.reason.endswith("of 0.5 s)")
    assert result.turns == 1
    assert any("budget_exceeded" in e.message for e in events if isinstance(e, Notice))


def test_within_budget_runs_to_the_end(replay_run, script, kit):
    budget = Budget(max_turns=3, max_output_tokens=10_000, max_cost_usd=5, max_seconds=120)
    result = replay_run(script(kit.ping_turns()), budget=budget)
    assert result.status == "ok", result.reason


def test_cost_prices_cache_reads_and_writes():
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_read_tokens=1_000_000,
        cache_write_tokens=1_000_000,
    )
    price = price_for("claude-sonnet-4-6")
    assert (price.input, price.output) == (3.0, 15.0)
    assert price.cache_read == pytest.approx(0.3)
    assert price.cache_write == pytest.approx(3.75)
    assert usage.cost_usd("claude-sonnet-4-6") == pytest.approx(3 + 15 + 0.3 + 3.75)
    assert price_for("claude-opus-4-1-20250805").output == 75.0
    assert price_for("claude-haiku-4-5").input == 1.0


def test_budget_exceeded_names_each_limit():
    budget = Budget(max_turns=5, max_output_tokens=10, max_cost_usd=1.0, max_seconds=2.0)
    assert budget.exceeded(turns=0, output_tokens=0, cost=0, elapsed=0) == ""
    assert "turn limit" in budget.exceeded(turns=5, output_tokens=0, cost=0, elapsed=0)
    assert "output token" in budget.exceeded(turns=1, output_tokens=10, cost=0, elapsed=0)
    assert "cost limit" in budget.exceeded(turns=1, output_tokens=0, cost=1.0, elapsed=0)
    assert "wall-time" in budget.exceeded(turns=1, output_tokens=0, cost=0, elapsed=2.5)
