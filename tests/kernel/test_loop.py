"""The loop end to end on replayed sessions: tool errors, contracts, checks, observers."""

from __future__ import annotations

import json
import threading
import time

from agent_kernel.agent.events import (
    Notice,
    RunFinished,
    RunStarted,
    TextDelta,
    ToolCalled,
    ToolFinished,
    TurnStarted,
    UsageReported,
)
from agent_kernel.agent.loop import with_moving_breakpoint
from agent_kernel.agent.trajectory import load_trajectory
from agent_kernel.tools.inspect_api import InspectApiTool


def tool_results(trajectory: dict, index: int) -> list[dict]:
    """The tool_result blocks of the `index`-th user message."""
    users = [m for m in trajectory["messages"] if m["role"] == "user"]
    return [b for b in users[index]["content"] if b["type"] == "tool_result"]


def test_unknown_tool_is_an_error_result_and_the_run_goes_on(
    replay_run, script, kit, read_trajectory
):
    call = {"name": "deploy_to_production", "input": {"now": True}}
    result = replay_run(script([{"tool_calls": [call]}, kit.submit()]))

    assert result.status == "ok", result.reason
    first = result.tool_trace[0]
    assert first.name == "deploy_to_production" and first.is_error
    assert "unknown tool 'deploy_to_production'" in first.output
    assert "str_replace_based_edit_tool" in first.output  # lists what is available
    [block] = tool_results(read_trajectory(result), 1)
    assert block["is_error"] is True


def test_a_crashing_tool_becomes_an_error_result(
    replay_run, script, kit, monkeypatch, read_trajectory
):
    def explode(self, tool_input, ctx):
        raise RuntimeError("inspector fell over")

    monkeypatch.setattr(InspectApiTool, "__call__", explode)
    call = {"name": "inspect_api", "input": {"symbol": "fastapi.FastAPI"}}
    result = replay_run(script([{"tool_calls": [call]}, kit.submit()]))

    assert result.status == "ok", result.reason
    entry = result.tool_trace[0]
    assert entry.is_error
    assert entry.output == "inspect_api failed: RuntimeError: inspector fell over"
    [block] = tool_results(read_trajectory(result), 1)
    assert block["is_error"] is True and "inspector fell over" in block["content"]


def test_a_tool_error_result_reaches_the_model(replay_run, script, kit, read_trajectory):
    escape = kit.edit("view", "../../etc/passwd")
    result = replay_run(script([{"tool_calls": [escape]}, kit.submit()]))

    assert result.status == "ok", result.reason
    [block] = tool_results(read_trajectory(result), 1)
    assert block["is_error"] is True
    assert "root:" not in block["content"]


def test_invalid_contract_lists_the_fields_then_a_valid_one_ends_ok(
    replay_run, script, kit, read_trajectory
):
    bad = kit.contract(
        surface_and_success="Too short. Two sentences.",
        acceptance_checks=[],
        follow_ups_and_risks=["a", "b", "c", "d"],
        phr={"stage": "green", "title": "Ping"},
    )
    bad_turn = {"tool_calls": [{"name": "submit_result", "input": bad}]}
    result = replay_run(script([bad_turn, kit.submit()]))

    assert result.status == "ok", result.reason
    first = result.tool_trace[0]
    assert first.name == "submit_result" and first.is_error
    for field_name in (
        "surface_and_success",
        "acceptance_checks",
        "follow_ups_and_risks",
        "phr.title",
    ):
        assert f"- {field_name}:" in first.output, first.output
    assert result.tool_trace[1].is_error is False
    assert result.contract is not None


def test_invalid_contract_only_is_incomplete(replay_run, script, kit):
    bad = {"tool_calls": [{"name": "submit_result", "input": {"artifact_summary": "x"}}]}
    result = replay_run(script([bad, {"text": "I give up."}, {"text": "Really."}]))

    assert result.status == "incomplete"
    assert result.contract is None


def test_failing_acceptance_check_is_incomplete(replay_run, script, kit, fake_checks):
    fake_checks.failing.add(kit.PING_TEST)
    result = replay_run(script([kit.submit()]))

    assert result.status == "incomplete"
    assert kit.PING_TEST in result.reason
    assert result.contract is not None  # the contract is kept, with its failed check
    assert [(c.test, c.passed) for c in result.checks] == [(kit.PING_TEST, False)]
    assert fake_checks.calls == [kit.PING_TEST]


def test_checks_pass_and_are_recorded(replay_run, script, kit):
    result = replay_run(script(kit.ping_turns()))

    assert result.ok and result.checks_passed
    assert result.checks[0].test == kit.PING_TEST
    phr = result.phr_path.read_text(encoding="utf-8")
    assert kit.PROMPT in phr
    assert kit.PING_TEST in phr


def test_observers_see_text_tools_usage_and_the_end(replay_run, script, kit):
    events: list = []
    result = replay_run(script(kit.ping_turns()), observers=[events.append])

    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[-1] is RunFinished
    assert events[-1].result is result
    assert sum(k is TurnStarted for k in kinds) == 3
    assert sum(k is UsageReported for k in kinds) == 3
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "I'll read the router first.Adding the route and a test."
    called = [e.name for e in events if isinstance(e, ToolCalled)]
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert called == ["str_replace_based_edit_tool"] * 5 + ["submit_result"]
    assert len(finished) == 6 and not any(e.is_error for e in finished)
    usage = [e for e in events if isinstance(e, UsageReported)]
    assert usage[-1].total_cost_usd == result.cost_usd > 0


def test_a_broken_observer_does_not_stop_the_run(replay_run, script, kit):
    def broken(event):
        raise ValueError("display glitch")

    result = replay_run(script(kit.ping_turns()), observers=[broken])
    assert result.status == "ok"


def test_the_reminder_is_announced(replay_run, script, kit):
    events: list = []
    replay_run(script([{"text": "Done."}, kit.submit()]), observers=[events.append])
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("reminding" in n for n in notices)


def test_a_tool_step_is_on_disk_before_the_next_tool_runs(replay_run, script, kit, workspace):
    finished = 0
    on_disk: list[tuple[int, int]] = []  # (tools finished, tool steps in the file) per call

    def watch(event):
        nonlocal finished
        if isinstance(event, ToolFinished):
            finished += 1
        elif isinstance(event, ToolCalled):
            [path] = (workspace.root / ".workbench" / "trajectories").glob("*.jsonl")
            steps = load_trajectory(path)["steps"]
            on_disk.append((finished, sum(step["kind"] == "tool" for step in steps)))

    result = replay_run(script(kit.ping_turns()), observers=[watch])

    assert result.status == "ok", result.reason
    assert len(on_disk) == 6  # one view, four edits in one turn, the submission
    assert all(done == saved for done, saved in on_disk), on_disk


def test_a_tool_step_points_at_its_call_and_result_instead_of_copying_them(replay_run, script, kit):
    result = replay_run(script(kit.ping_turns()))
    document = load_trajectory(result.trajectory_path)

    calls = {
        block["id"]: block
        for message in document["messages"]
        if message["role"] == "assistant"
        for block in message["content"]
        if block["type"] == "tool_use"
    }
    results = {
        block["tool_use_id"]: block
        for message in document["messages"]
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block["type"] == "tool_result"
    }
    steps = [step for step in document["steps"] if step["kind"] == "tool"]
    assert len(steps) == 6
    for step in steps:
        assert calls[step["tool_use_id"]]["name"] == step["name"]
        assert step["tool_use_id"] in results
        assert step["is_error"] is results[step["tool_use_id"]].get("is_error", False)
        assert "output" not in step and "input" not in step
        assert step["seconds"] >= 0


def test_trajectory_is_saved_after_every_step(replay_run, script, kit, workspace):
    seen: list[int] = []

    def watch(event):
        if isinstance(event, ToolFinished | UsageReported):
            [path] = (workspace.root / ".workbench" / "trajectories").glob("*.jsonl")
            seen.append(len(load_trajectory(path)["steps"]))

    result = replay_run(script(kit.ping_turns()), observers=[watch])

    assert len(seen) == 9
    assert seen == sorted(seen) and seen[0] < seen[-1]  # it grows while the run goes
    final = load_trajectory(result.trajectory_path)
    assert final["steps"][-1]["kind"] == "end"
    assert final["info"]["status"] == "ok"
    assert final["info"]["phr_path"] == str(result.phr_path)
    kinds = {step["kind"] for step in final["steps"]}
    assert {"prompt", "turn", "tool", "tool_results", "end"} <= kinds


def test_ask_user_without_anyone_proceeds(replay_run, script, kit):
    ask = {"name": "ask_user", "input": {"question": "JWT or API key?", "choices": ["JWT", "key"]}}
    result = replay_run(script([{"tool_calls": [ask]}, kit.submit()]))

    assert result.status == "ok"
    assert not result.tool_trace[0].is_error
    assert "Nobody is available" in result.tool_trace[0].output


def test_ask_user_answers_from_the_cassette(replay_run, script, kit):
    ask = {"name": "ask_user", "input": {"question": "JWT or API key?"}}
    cassette = script([{"tool_calls": [ask]}, kit.submit()], answers={"jwt or api key": "JWT"})
    from agent_kernel.api.cassette import load_cassette
    from agent_kernel.tools.ask_user import answers_from

    answers = load_cassette(cassette).answers
    result = replay_run(cassette, answer=answers_from(answers))
    assert "JWT" in result.tool_trace[0].output


def test_moving_breakpoint_marks_only_the_latest_message():
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "text", "text": "a"}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]},
    ]
    marked = with_moving_breakpoint(messages)

    assert "cache_control" not in json.dumps(marked[:2])
    assert marked[2]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in json.dumps(messages)  # the conversation itself is untouched
    assert with_moving_breakpoint([{"role": "user", "content": "q"}])[0]["content"] == [
        {"type": "text", "text": "q", "cache_control": {"type": "ephemeral"}}
    ]


def test_an_empty_answer_is_not_sent_back(replay_run, cassettes, kit):
    """The API refuses an empty assistant message, so an empty end_turn is left out."""
    from agent_kernel.api.cassette import Cassette, Exchange

    def message(number: int, content: list) -> dict:
        return {
            "id": f"msg_{number}",
            "type": "message",
            "role": "assistant",
            "model": kit.MODEL,
            "content": content,
            "stop_reason": "end_turn" if not content else "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }

    submit = {"type": "tool_use", "id": "toolu_1", "name": "submit_result"}
    path = Cassette(
        source="recorded",
        model=kit.MODEL,
        date="2026-11-27",
        exchanges=[
            Exchange(response=message(1, [])),
            Exchange(response=message(2, [dict(submit, input=kit.contract())])),
        ],
    ).save(cassettes / "empty.yaml")

    result = replay_run(path)

    assert result.status == "ok", result.reason
    second = replay_run.handle.replay.requests[1]["messages"]
    assert all(m["content"] for m in second)
    assert [m["role"] for m in second] == ["user", "user"]


def test_the_stop_button_ends_the_run_cleanly(script, kit, workspace, history, fake_checks):
    import threading

    from agent_kernel.agent.definition import load_agent
    from agent_kernel.agent.runner import run_agent
    from agent_kernel.api.client import make_client

    stop = threading.Event()

    def press_stop(event):
        if isinstance(event, ToolFinished):
            stop.set()

    result = run_agent(
        kit.PROMPT,
        handle=make_client("replay", cassette=script(kit.ping_turns())),
        agent=load_agent(),
        workspace=workspace,
        history_dir=history,
        observers=[press_stop],
        stop_event=stop,
    )

    assert result.status == "incomplete"
    assert result.reason == "stopped by the user"
    assert len(result.tool_trace) == 1  # stopped before the next tool call
    assert result.phr_path.is_file()


def test_ctrl_c_ends_the_run_cleanly_with_its_record(
    replay_run, script, kit, monkeypatch, read_trajectory
):
    def interrupted(self, tool_input, ctx):
        raise KeyboardInterrupt

    monkeypatch.setattr(InspectApiTool, "__call__", interrupted)
    call = {"name": "inspect_api", "input": {"symbol": "fastapi"}}
    result = replay_run(script([{"tool_calls": [call]}, kit.submit()]))

    assert result.status == "incomplete"
    assert result.reason == "stopped by the user"
    assert result.phr_path.is_file()
    assert read_trajectory(result)["steps"][-1]["kind"] == "end"


def test_stop_during_a_test_run_kills_it_and_ends_the_run(replay_run, script, kit, workspace):
    (workspace.root / "tests/test_hang.py").write_text(
        "import time\n\ndef test_hang():\n    time.sleep(600)\n"
    )
    stop = threading.Event()

    def press_stop_soon(event):
        if isinstance(event, ToolCalled) and event.name == "run_tests":
            threading.Timer(1.0, stop.set).start()

    hang = {"name": "run_tests", "input": {"target": "tests/test_hang.py"}}
    started = time.monotonic()
    result = replay_run(
        script([{"tool_calls": [hang]}, kit.submit()]), observers=[press_stop_soon], stop_event=stop
    )

    assert time.monotonic() - started < 20  # not the 120 s the test run was allowed
    assert (result.status, result.reason) == ("incomplete", "stopped by the user")
    [entry] = result.tool_trace
    assert entry.output.startswith("run_tests tests/test_hang.py: stopped")
    assert "the test process group was killed" in entry.output
