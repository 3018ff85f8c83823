"""Queued messages reach the next turn; long sessions clear old tool output; PHR text."""

from __future__ import annotations

from agent_kernel.agent.context import CLEARED, ContextWindow
from agent_kernel.agent.events import Notice, TurnStarted
from agent_kernel.agent.inbox import Inbox
from agent_kernel.agent.loop import QUEUED_PREFIX
from agent_kernel.history.phr import parse_phr


def test_a_message_queued_while_a_turn_streams_arrives_at_the_next_turn(replay_run, script, kit):
    inbox = Inbox()
    notices: list[str] = []

    def observe(event) -> None:
        if isinstance(event, TurnStarted) and event.turn == 1:
            inbox.put("Call the route /api/ping, not /ping.")  # typed while turn 1 streams
        if isinstance(event, Notice):
            notices.append(event.message)

    result = replay_run(script(kit.ping_turns()), observers=[observe], inbox=inbox)
    assert result.status == "ok", result.reason
    requests = replay_run.handle.replay.requests
    first_user = requests[0]["messages"][-1]["content"]
    assert all("Call the route" not in str(block) for block in first_user)
    delivered = requests[1]["messages"][-1]["content"]
    assert delivered[0]["type"] == "tool_result"  # the results first, then the message
    assert delivered[-1]["text"] == QUEUED_PREFIX + "Call the route /api/ping, not /ping."
    assert any("Delivered your queued message" in n for n in notices)
    assert len(inbox) == 0


def test_stop_keeps_the_work_done_and_writes_the_phr(replay_run, script, kit):
    import threading

    stop = threading.Event()

    def observe(event) -> None:
        if isinstance(event, TurnStarted) and event.turn == 3:
            stop.set()

    result = replay_run(script(kit.ping_turns()), observers=[observe], stop_event=stop)
    assert result.status == "incomplete" and result.reason == "stopped by the user"
    assert result.contract is None
    assert sorted(result.files_changed) == kit.PING_FILES  # the edits made before Stop stay
    assert result.phr_path.is_file()


def test_a_long_session_clears_older_tool_output_near_the_limit(replay_run, script, kit):
    views = [
        {"text": f"Reading again ({n}).", "tool_calls": [kit.edit("view", "sandbox_app/main.py")]}
        for n in range(8)
    ]
    notices: list[str] = []
    window = ContextWindow(limit=6_000, trigger=0.8, keep_tool_results=2)
    result = replay_run(
        script([*views, kit.submit()]),
        observers=[lambda e: notices.append(e.message) if isinstance(e, Notice) else None],
        context=window,
    )
    assert result.status == "ok", result.reason
    trimmed = [n for n in notices if n.startswith("Context: the next request reached")]
    assert trimmed, notices
    assert window.cleared_total >= 1
    assert replay_run.handle.replay.token_counts >= 2  # the SDK's count_tokens, answered offline
    last = replay_run.handle.replay.requests[-1]["messages"]
    outputs = [
        block["content"]
        for message in last
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert outputs[:-2] and all(text == CLEARED for text in outputs[:-2])
    assert all(text != CLEARED for text in outputs[-2:])
    steps = [s["kind"] for s in kit.trajectory_of(result)["steps"]]
    assert "context_trimmed" in steps


def test_phr_next_prompts_come_from_the_run(replay_run, script, kit):
    risky = replay_run(
        script([kit.submit(follow_ups_and_risks=["Rate-limit the ping route"])], name="risky")
    )
    outcome = parse_phr(risky.phr_path)["outcome"]
    assert outcome["next_prompts"] == "Rate-limit the ping route"

    plain = replay_run(script([kit.submit()], name="plain"))
    notes = parse_phr(plain.phr_path)
    assert "none recorded" in notes["outcome"]["next_prompts"]
    assert "none recorded" in notes["evaluation"]["next_experiment"]

    ended = replay_run(script([{"text": "done"}, {"text": "still done"}], name="ended"))
    notes = parse_phr(ended.phr_path)
    assert ended.status == "incomplete"
    assert notes["outcome"]["next_prompts"] == (
        "address why the run ended incomplete: the agent ended twice without a valid contract"
    )
    text = ended.phr_path.read_text(encoding="utf-8")
    for canned in ("Re-run the prompt once the cause above is fixed", "tighten the prompt"):
        assert canned not in text
