"""Replay through the real SDK: JSON and SSE answers, and mismatches that say what to do."""

from __future__ import annotations

import anthropic
import pytest

from agent_kernel.api.cassette import load_cassette
from agent_kernel.api.client import make_client

TOOLS = [{"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}]
LONG_TEXT = "Reading the router, then adding the route. " * 5


@pytest.fixture
def session(script, kit):
    turns = [
        {
            "text": LONG_TEXT,
            "tool_calls": [kit.edit("create", "sandbox_app/x.py", file_text="x = 1\n" * 40)],
        },
        {"text": "Done."},
    ]
    return script(turns)


def request(prompt: str, **extra) -> dict:
    return {
        "model": "claude-sonnet-5-5",
        "max_tokens": 1024,
        "tools": TOOLS,
        "messages": [{"role": "user", "content": prompt}],
        **extra,
    }


def test_json_answer_is_the_scripted_message(session, kit):
    handle = make_client("replay", cassette=session)
    expected = load_cassette(session).exchanges[0].response

    message = handle.client.messages.create(**request(kit.PROMPT))

    assert isinstance(message, anthropic.types.Message)
    assert message.model_dump(exclude_none=True) == {
        k: v for k, v in expected.items() if v is not None
    }
    assert handle.source == "scripted"
    assert "scripted session" in handle.label


def test_stream_yields_deltas_and_the_same_final_message(session, kit):
    handle = make_client("replay", cassette=session)
    expected = load_cassette(session).exchanges[0].response

    with handle.client.messages.stream(**request(kit.PROMPT)) as stream:
        deltas = list(stream.text_stream)
        final = stream.get_final_message()

    assert len(deltas) > 1  # really streamed, in pieces
    assert "".join(deltas) == LONG_TEXT
    assert final.model_dump(exclude_none=True) == {
        k: v for k, v in expected.items() if v is not None
    }
    tool = final.content[1]
    assert tool.type == "tool_use"
    assert tool.input == {
        "command": "create",
        "path": "sandbox_app/x.py",
        "file_text": "x = 1\n" * 40,
    }
    assert final.usage.output_tokens == expected["usage"]["output_tokens"]


def test_stream_events_are_real_sse(session, kit):
    handle = make_client("replay", cassette=session)
    with handle.client.messages.stream(**request(kit.PROMPT)) as stream:
        kinds = [event.type for event in stream]
    assert kinds[0] == "message_start"
    assert "input_json" in kinds and "text" in kinds
    assert kinds[-1] == "message_stop"


def test_a_different_prompt_is_a_mismatch(replay_run, session, read_trajectory):
    result = replay_run(session, "Add a DELETE /api/items route.")

    assert result.status == "error"
    assert "exchange 1 of 2" in result.reason
    assert "the prompt differs" in result.reason
    assert "Add a DELETE /api/items route." in result.reason
    assert f"--mode record --cassette {session}" in result.reason
    assert session.name in result.reason
    assert "\n" not in result.reason
    assert read_trajectory(result)["info"]["status"] == "error"
    assert result.phr_path.is_file()


def test_an_extra_request_beyond_the_end_is_a_mismatch(replay_run, script, kit):
    cassette = script([{"text": "Done."}])  # the reminder then asks for a second exchange
    result = replay_run(cassette)

    assert result.status == "error"
    assert "exchange 2 of 1" in result.reason
    assert "the session ends after 1" in result.reason
    assert "workbench run PROMPT --mode record --cassette" in result.reason


def test_missing_tool_results_is_a_mismatch(replay_run, cassettes, kit):
    """A recorded session whose second exchange expects a tool result the run never sends."""
    from agent_kernel.api.cassette import Cassette, Exchange

    first = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": kit.MODEL,
        "content": [{"type": "text", "text": "Looked."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 2},
    }
    tools = [
        "str_replace_based_edit_tool",
        "run_tests",
        "inspect_api",
        "ask_user",
        "submit_result",
        "run_command",  # the agent file's `Bash`
    ]
    recorded = Cassette(
        source="recorded",
        model=kit.MODEL,
        date="2026-11-27",
        prompt=kit.PROMPT,
        exchanges=[
            Exchange(response=first, expect={"model": kit.MODEL, "tools": tools, "messages": 1}),
            Exchange(
                response=dict(first, id="msg_2"),
                expect={"model": kit.MODEL, "tools": tools, "tool_results": ["toolu_abc"]},
            ),
        ],
    )
    path = recorded.save(cassettes / "recorded.yaml")

    result = replay_run(path)

    assert result.status == "error"
    assert "exchange 2 of 2" in result.reason
    assert "expected results for tool calls ['toolu_abc'], the run sent none" in result.reason
    assert f"re-record it with: workbench run PROMPT --mode record --cassette {path}" in (
        result.reason
    )


def test_a_changed_tool_list_is_a_mismatch_for_recorded_sessions(cassettes, kit):
    from agent_kernel.api.cassette import Cassette, Exchange

    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": kit.MODEL,
        "content": [{"type": "text", "text": "Hi."}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    path = Cassette(
        source="recorded",
        model=kit.MODEL,
        date="2026-11-27",
        prompt=kit.PROMPT,
        exchanges=[Exchange(response=message, expect={"tools": ["only_this_tool"]})],
    ).save(cassettes / "r.yaml")
    handle = make_client("replay", cassette=path)

    with pytest.raises(anthropic.BadRequestError) as caught:
        handle.client.messages.create(**request(kit.PROMPT))

    assert "the tools differ" in str(caught.value)
    assert handle.replay.mismatch is not None and handle.replay.mismatch.number == 1
    assert len(handle.replay.requests) == 1  # a mismatch is never retried


def test_a_scripted_mismatch_says_how_to_fix_it(replay_run, session):
    result = replay_run(session, "Something else entirely.")
    assert "edit its scripted turns to match, or record a real session with" in result.reason


def test_a_prompt_with_a_secret_replays_from_its_redacted_cassette(replay_run, script, kit):
    secret = kit.canary()
    prompt = f"Call the payments API with {secret} and add a route."
    from agent_kernel.api.cassette import load_cassette as load

    saved = load(script([kit.submit()], prompt=prompt)).save()  # saving redacts the prompt
    assert secret not in saved.read_text(encoding="utf-8")

    result = replay_run(saved, prompt)
    assert result.status == "ok", result.reason


def test_a_mismatch_message_never_shows_a_secret(replay_run, script, kit):
    secret = kit.canary()
    result = replay_run(script([kit.submit()]), f"Use {secret} for everything.")

    assert result.status == "error" and "the prompt differs" in result.reason
    assert secret[:16] not in result.reason
    assert "[REDACTED]" in result.reason


def test_redacted_spans_match_only_where_they_stand():
    from agent_kernel.api.replay import same_text

    assert same_text("key [REDACTED] here", "key abc123 here")
    assert same_text("a  b\n c", "a b c")
    assert not same_text("key [REDACTED] here", "key abc123 there")
    assert not same_text("key [REDACTED]", "other abc123")
    assert not same_text("plain", "plain text")
