"""Record mode: a live run against a loopback server writes a cassette that replays the run."""

from __future__ import annotations

import pytest
import yaml

from agent_kernel.agent.definition import load_agent
from agent_kernel.agent.runner import run_agent
from agent_kernel.api.cassette import load_cassette
from agent_kernel.api.client import make_client
from agent_kernel.project.workspace import Workspace


@pytest.fixture
def recorded(live_env, messages_server, workspace, history, fake_checks, kit, tmp_path):
    """Record the ping session; returns (result, cassette path, key)."""
    key = kit.canary()
    live_env(key)
    messages_server.script(kit.ping_turns())
    path = tmp_path / "recorded" / "ping.yaml"
    handle = make_client("record", cassette=path)
    result = run_agent(
        kit.PROMPT,
        handle=handle,
        agent=load_agent(),
        workspace=workspace,
        history_dir=history,
    )
    assert result.status == "ok", result.reason
    return result, path, key


def test_record_writes_a_labelled_cassette(recorded, kit):
    result, path, _ = recorded
    cassette = load_cassette(path)

    assert result.mode == "record"
    assert cassette.source == "recorded"
    assert cassette.model == load_agent().resolved_model()
    assert len(cassette.date) == 10
    assert cassette.prompt == kit.PROMPT
    assert len(cassette.exchanges) == 3
    assert [e.response["stop_reason"] for e in cassette.exchanges] == ["tool_use"] * 3
    first = cassette.exchanges[0]
    assert first.expect["tools"][0] == "str_replace_based_edit_tool"
    assert first.expect["last_user_text"] == kit.PROMPT
    assert cassette.exchanges[1].expect["tool_results"] == ["toolu_scripted_01_1"]
    # The recorded message is the full one rebuilt from the stream, tool inputs intact.
    view = cassette.exchanges[0].response["content"][1]
    assert view["input"] == {"command": "view", "path": "sandbox_app/api/router.py"}


def test_the_recording_replays_the_run(recorded, tmp_path, kit, fake_checks, monkeypatch):
    original, path, _ = recorded
    monkeypatch.delenv("ANTHROPIC_API_KEY")  # replay needs no key
    from agent_kernel.settings import reload_settings

    reload_settings()
    workspace = Workspace.create(tmp_path / "replayed-ws")
    handle = make_client("replay", cassette=path)
    replayed = run_agent(
        kit.PROMPT,
        handle=handle,
        agent=load_agent(),
        workspace=workspace,
        history_dir=tmp_path / "replayed-history",
    )

    assert replayed.status == "ok", replayed.reason
    assert replayed.source == "recorded"
    assert replayed.files_changed == original.files_changed == kit.PING_FILES
    assert replayed.diff == original.diff
    assert replayed.usage == original.usage
    assert handle.replay.finished


def test_the_cassette_holds_no_header_and_no_key(recorded):
    _, path, key = recorded
    text = path.read_text(encoding="utf-8")

    assert key not in text
    assert key[12:40] not in text
    lowered = text.lower()
    for word in ("authorization", "x-api-key", "bearer", "anthropic-version", "headers"):
        assert word not in lowered
    data = yaml.safe_load(text)
    assert set(data) <= {"source", "model", "date", "title", "prompt", "answers", "exchanges"}
    for exchange in data["exchanges"]:
        assert set(exchange) <= {"expect", "response", "error"}


def test_a_recorded_fault_is_kept(live_env, messages_server, workspace, history, kit, tmp_path):
    live_env(kit.canary())
    overloaded = {"error": {"status": 529, "type": "overloaded_error", "message": "Overloaded"}}
    messages_server.script([overloaded, {"text": "Hello."}, {"text": "Bye."}])
    path = tmp_path / "faulty.yaml"
    run_agent(
        kit.PROMPT,
        handle=make_client("record", cassette=path),
        agent=load_agent(),
        workspace=workspace,
        history_dir=history,
    )
    cassette = load_cassette(path)

    assert cassette.exchanges[0].error == {
        "status": 529,
        "type": "overloaded_error",
        "message": "Overloaded",
    }
    assert cassette.exchanges[1].response["content"][0]["text"] == "Hello."


def test_a_recorded_session_mismatch_names_the_rerecord_command(recorded, replay_run):
    _, path, _ = recorded
    result = replay_run(path, "A different request.")

    assert result.status == "error"
    assert "exchange 1 of 3" in result.reason
    assert f"re-record it with: workbench run PROMPT --mode record --cassette {path}" in (
        result.reason
    )


def test_record_through_a_compressing_gateway(
    live_env, messages_server, workspace, history, fake_checks, kit, tmp_path
):
    """Bodies sent with `content-encoding: gzip` are recorded decoded and still reach the SDK."""
    live_env(kit.canary())
    messages_server.gzip = True
    overloaded = {"error": {"status": 529, "type": "overloaded_error", "message": "Overloaded"}}
    messages_server.script([overloaded, *kit.ping_turns()])
    path = tmp_path / "gz.yaml"
    result = run_agent(
        kit.PROMPT,
        handle=make_client("record", cassette=path),
        agent=load_agent(),
        workspace=workspace,
        history_dir=history,
    )

    assert result.status == "ok", result.reason
    cassette = load_cassette(path)
    assert cassette.exchanges[0].error["message"] == "Overloaded"
    assert len(cassette.exchanges) == 4
    assert cassette.exchanges[1].response["content"][0]["text"] == "I'll read the router first."


@pytest.mark.parametrize("status", [200, 400])
def test_record_json_answers_through_gzip(tmp_path, kit, status):
    """Non-streamed answers and errors, gzip-encoded on the wire, reach the SDK intact."""
    import gzip
    import json

    import anthropic
    import httpx2

    from agent_kernel.api.recorder import RecordingTransport

    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": kit.MODEL,
        "content": [{"type": "text", "text": "Hello."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 2},
    }
    error = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad field"}}
    payload = message if status == 200 else error

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            status,
            headers={"content-type": "application/json", "content-encoding": "gzip"},
            content=gzip.compress(json.dumps(payload).encode()),
        )

    recorder = RecordingTransport(httpx2.MockTransport(answer), tmp_path / "j.yaml", kit.MODEL)
    client = anthropic.Anthropic(
        api_key="test",
        base_url="http://gateway.test",
        http_client=httpx2.Client(transport=recorder),
        max_retries=0,
    )
    request = {
        "model": kit.MODEL,
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}],
    }
    if status == 200:
        assert client.messages.create(**request).content[0].text == "Hello."
        assert load_cassette(tmp_path / "j.yaml").exchanges[0].response == message
    else:
        with pytest.raises(anthropic.BadRequestError, match="bad field"):
            client.messages.create(**request)
        assert load_cassette(tmp_path / "j.yaml").exchanges[0].error["message"] == "bad field"


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_streams_are_rebuilt_whatever_the_line_ends(kit, newline):
    """The recorder rebuilds the final message from SSE bytes cut anywhere, LF or CRLF."""
    from agent_kernel.api.cassette import expand_turns
    from agent_kernel.api.sse import accumulate, encode, message_events, parse_stream

    message = expand_turns(kit.ping_turns(), kit.MODEL)[1].response
    wire = b"".join(encode(e) for e in message_events(message)).replace(b"\n", newline)
    chunks = [wire[at : at + 7] for at in range(0, len(wire), 7)]

    assert accumulate(parse_stream(chunks)) == message


def test_a_recorded_conversation_marks_each_prompt_and_resumes_there(
    live_env, messages_server, tmp_path, fake_checks, kit, monkeypatch
):
    from agent_kernel.api.cassette import expand_turns
    from agent_kernel.workbench import Workbench

    second = "Now say where the ping route lives."
    live_env(kit.canary())
    messages_server.script(kit.ping_turns())
    for exchange in expand_turns([kit.submit()], kit.MODEL, prefix="p2_"):
        messages_server.queue.append({"response": exchange.response})
    path = tmp_path / "recorded" / "talk.yaml"
    wb = Workbench(
        workspace=tmp_path / "ws", history=tmp_path / "h", mode="record", cassette=path,
        display=False,
    )  # fmt: skip
    assert wb.run(kit.PROMPT).status == "ok"
    assert wb.run(second).status == "ok"
    cassette = load_cassette(path)
    assert cassette.prompts == [kit.PROMPT, second]
    assert [e.expect.get("prompt") for e in cassette.exchanges] == [None, None, None, second]

    from agent_kernel.api.replay import ReplayTransport

    transport = ReplayTransport(cassette)
    transport.start_at_prompt(1)  # a resume after the first prompt starts at the second
    assert transport.cursor == 3


def test_a_recording_pins_the_memory_and_names_a_changed_claude_md(
    recorded, tmp_path, kit, fake_checks, monkeypatch
):
    _, path, _ = recorded
    pinned = load_cassette(path).exchanges[0].expect["memory"]
    assert list(pinned) == ["CLAUDE.md"]  # the baseline's own; never the user's file
    assert "memory" not in load_cassette(path).exchanges[1].expect
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    from agent_kernel.settings import reload_settings

    reload_settings()
    workspace = Workspace.create(tmp_path / "edited-ws")
    (workspace.root / "CLAUDE.md").write_text("New rules for the agent.\n")
    result = run_agent(
        kit.PROMPT,
        handle=make_client("replay", cassette=path),
        agent=load_agent(),
        workspace=workspace,
        history_dir=tmp_path / "h",
    )
    assert result.status == "error"
    assert "changed since it was made: CLAUDE.md" in result.reason
    assert f"--mode record --cassette {path}" in result.reason
