"""Every stop reason the Messages API can give ends the run, or continues it, on purpose."""

from __future__ import annotations

from agent_kernel.agent.loop import CONTINUE_AFTER_CUT, CUT_TOOL_CALL, REMINDER


def user_messages(trajectory: dict) -> list:
    return [m["content"] for m in trajectory["messages"] if m["role"] == "user"]


def test_end_turn_twice_is_incomplete_after_one_reminder(replay_run, script, kit, read_trajectory):
    result = replay_run(script([{"text": "Done, I think."}, {"text": "Still done."}]))

    assert result.status == "incomplete"
    assert "without a valid contract" in result.reason
    assert result.turns == 2
    assert result.contract is None
    sent = user_messages(read_trajectory(result))
    assert sent == [kit.PROMPT, REMINDER]  # exactly one reminder
    assert result.phr_path is not None and result.phr_path.is_file()


def test_end_turn_then_submit_is_ok(replay_run, script, kit, read_trajectory):
    result = replay_run(script([{"text": "All set."}, kit.submit()]))

    assert result.status == "ok", result.reason
    assert result.contract is not None
    assert result.contract.phr.title == "Add ping route to API"
    assert user_messages(read_trajectory(result))[1] == REMINDER


def test_max_tokens_without_a_tool_call_asks_to_continue(replay_run, script, kit, read_trajectory):
    result = replay_run(
        script([{"text": "A long explanation that", "stop_reason": "max_tokens"}, kit.submit()])
    )

    assert result.status == "ok", result.reason
    assert user_messages(read_trajectory(result))[1] == CONTINUE_AFTER_CUT


def test_max_tokens_with_a_cut_tool_call_is_not_run(
    replay_run, script, kit, workspace, read_trajectory
):
    cut = kit.edit("create", "sandbox_app/half.py", file_text="x = 1\n")
    result = replay_run(script([{"tool_calls": [cut], "stop_reason": "max_tokens"}, kit.submit()]))

    assert result.status == "ok", result.reason
    assert not (workspace.root / "sandbox_app" / "half.py").exists()
    answer = user_messages(read_trajectory(result))[1]
    assert answer == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_scripted_01_1",
            "content": CUT_TOOL_CALL,
            "is_error": True,
        }
    ]
    assert [entry.name for entry in result.tool_trace] == ["submit_result"]


def test_pause_turn_continues_the_same_turn(replay_run, script, kit, read_trajectory):
    result = replay_run(
        script([{"text": "Working on it", "stop_reason": "pause_turn"}, kit.submit()])
    )

    assert result.status == "ok", result.reason
    messages = read_trajectory(result)["messages"]
    # The paused assistant turn is sent back as is: no user message in between.
    assert [m["role"] for m in messages[:3]] == ["user", "assistant", "assistant"]


def test_refusal_ends_as_refused(replay_run, script):
    result = replay_run(script([{"text": "I can't help with that.", "stop_reason": "refusal"}]))

    assert result.status == "refused"
    assert "refusal" in result.reason
    assert result.turns == 1
    assert result.phr_path is not None and result.phr_path.is_file()


def test_context_window_exceeded_is_incomplete(replay_run, script):
    result = replay_run(
        script([{"text": "And then", "stop_reason": "model_context_window_exceeded"}])
    )

    assert result.status == "incomplete"
    assert "context window" in result.reason


def test_tool_use_runs_the_tools_and_goes_on(replay_run, script, kit, workspace):
    result = replay_run(script(kit.ping_turns()))

    assert result.status == "ok", result.reason
    assert result.turns == 3
    assert result.files_changed == kit.PING_FILES
    assert "+api_router.include_router(ping.router)" in result.diff
    assert (workspace.root / "tests" / "test_ping.py").is_file()


def test_an_unexpected_stop_reason_is_an_error(replay_run, script):
    result = replay_run(script([{"text": "Hmm", "stop_reason": "something_new"}]))

    assert result.status == "error"
    assert "something_new" in result.reason


def test_tool_use_stop_without_tool_blocks_gets_the_reminder(
    replay_run, script, kit, read_trajectory
):
    result = replay_run(
        script([{"text": "Calling a tool…", "stop_reason": "tool_use"}, kit.submit()])
    )

    assert result.status == "ok", result.reason
    assert user_messages(read_trajectory(result))[1] == REMINDER
