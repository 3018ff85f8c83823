"""Cassettes: scripted turns expand into full Messages API responses; broken files are named;
saved cassettes round-trip and never hold a header or a key."""

from __future__ import annotations

import pytest
import yaml

from agent_kernel.api.cassette import (
    SCRIPTED_NOTICE,
    Cassette,
    CassetteError,
    Exchange,
    cassette_from_dict,
    expand_turns,
    load_cassette,
)


def test_scripted_turns_expand_to_messages(kit):
    exchanges = expand_turns(kit.ping_turns(), kit.MODEL)

    assert len(exchanges) == 3
    first, second, third = (e.response for e in exchanges)
    assert first["id"] == "msg_scripted_01"
    assert first["type"] == "message" and first["role"] == "assistant"
    assert first["model"] == kit.MODEL
    assert first["stop_reason"] == "tool_use"
    assert first["content"][0] == {"type": "text", "text": "I'll read the router first."}
    assert first["content"][1]["id"] == "toolu_scripted_01_1"
    assert first["content"][1]["input"] == {"command": "view", "path": "sandbox_app/api/router.py"}
    assert [b["id"] for b in second["content"][1:]] == [
        f"toolu_scripted_02_{i}" for i in (1, 2, 3, 4)
    ]
    assert third["content"][0]["name"] == "submit_result"
    assert exchanges[0].expect == {}
    assert exchanges[1].expect == {"tool_results": ["toolu_scripted_01_1"]}
    assert exchanges[2].expect["tool_results"] == [f"toolu_scripted_02_{i}" for i in (1, 2, 3, 4)]


def test_usage_is_estimated_and_moves(kit):
    first, second, _ = (e.response["usage"] for e in expand_turns(kit.ping_turns(), kit.MODEL))

    for usage in (first, second):
        assert set(usage) == {
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        }
        assert usage["output_tokens"] > 0
    assert first["cache_read_input_tokens"] == 0 and first["cache_creation_input_tokens"] > 0
    assert second["cache_read_input_tokens"] > 0  # later turns read the cached prefix


def test_given_usage_and_stop_reason_are_kept(kit):
    [exchange] = expand_turns(
        [{"text": "Hi", "stop_reason": "max_tokens", "usage": {"output_tokens": 7}}], kit.MODEL
    )
    assert exchange.response["stop_reason"] == "max_tokens"
    assert exchange.response["usage"]["output_tokens"] == 7
    assert exchange.response["usage"]["input_tokens"] == 0


def test_text_only_turn_ends_the_turn_and_faults_keep_the_expectation(kit):
    turns = [
        {"tool_calls": [kit.edit("view", "x")]},
        {"error": {"status": 529}},
        {"timeout": True},
        {"text": "done"},
    ]
    exchanges = expand_turns(turns, kit.MODEL)

    assert exchanges[1].error == {
        "status": 529,
        "type": "api_error",
        "message": "scripted API fault",
    }
    assert exchanges[2].timeout is True
    # A retry asks again with the same tool results, so every fault keeps the expectation.
    assert [e.expect for e in exchanges[1:]] == [{"tool_results": ["toolu_scripted_01_1"]}] * 3
    assert exchanges[3].response["stop_reason"] == "end_turn"


@pytest.mark.parametrize(
    ("turns", "message"),
    [
        ("not a list", "`turns` must be a list"),
        (["text"], "turn 1 must be a mapping"),
        ([{"tool_calls": [{"input": {}}]}], "turn 1, tool call 1: needs a `name`"),
        ([{"tool_calls": {"name": "x"}}], "turn 1: `tool_calls` must be a list"),
        ([{"text": "a"}, {}], "turn 2 has neither text nor tool calls"),
        ([{"error": 529}], "turn 1: `error` must be a mapping (status, type)"),
        ([{"text": "a", "usage": 5}], "turn 1: `usage` must map token kinds to integers"),
        ([{"text": "a", "usage": {"output_tokens": "many"}}], "turn 1: `usage` must map"),
    ],
)
def test_bad_turns_are_refused(kit, turns, message):
    with pytest.raises(CassetteError) as caught:
        expand_turns(turns, kit.MODEL)
    assert str(caught.value).startswith(message)


def test_a_scripted_cassette_loads_and_is_labelled(script, kit):
    cassette = load_cassette(script(kit.ping_turns(), answers={"which": "JWT"}))

    assert cassette.source == "scripted" and cassette.scripted
    assert cassette.model == kit.MODEL
    assert cassette.date == "2026-11-27"
    assert cassette.prompt == kit.PROMPT
    assert cassette.answers == {"which": "JWT"}
    assert "scripted session session.yaml" in cassette.describe()
    assert "not a model answer" in cassette.describe()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("source: scripted\nmodel: [unclosed\n", "yaml: line 3, column 1: not valid YAML"),
        ("source: scripted\nturns:\n  - text: hi\n   x: 1\n", "yaml: line 4, column 4: not valid"),
        ("- just\n- a list\n", "a cassette is a mapping"),
        ("model: m\nturns: [{text: hi}]\n", "`source` must be 'scripted' or 'recorded'"),
        ("source: taped\nmodel: m\nturns: [{text: hi}]\n", "`source` must be"),
        ("source: scripted\nturns: [{text: hi}]\n", "`model` is missing"),
        ("source: scripted\nmodel: m\n", "no `turns` or `exchanges`"),
        ("source: scripted\nmodel: m\nturns: []\n", "the session has no exchanges"),
        ("source: recorded\nmodel: m\nexchanges: []\n", "the session has no exchanges"),
        ("source: recorded\nmodel: m\nturns: [{text: hi}]\n", "`turns` are for scripted"),
        ("source: recorded\nmodel: m\nexchanges: [{expect: {}}]\n", "exchange 1 needs"),
        ("source: recorded\nmodel: m\nexchanges: [{response: {id: x}}]\n", "exchange 1:"),
        ("source: scripted\nmodel: m\nanswers: yes\nturns: [{text: hi}]\n", "`answers` must"),
    ],
)
def test_broken_cassettes_name_the_file(tmp_path, content, message):
    path = tmp_path / "broken-session.yaml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CassetteError) as caught:
        load_cassette(path)

    assert str(caught.value).startswith("broken-session.yaml: ")
    assert message in str(caught.value)


def test_a_missing_cassette_names_the_path(tmp_path):
    with pytest.raises(CassetteError, match=r"cassette not found: .*nowhere\.yaml"):
        load_cassette(tmp_path / "nowhere.yaml")


def recorded(kit, secret: str) -> Cassette:
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": kit.MODEL,
        "content": [
            {"type": "text", "text": "Here is the route:\n\ndef ping():\n    return 1\n"},
            {"type": "tool_use", "id": "toolu_01", "name": "run_tests", "input": {}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 9},
    }
    return Cassette(
        source="recorded",
        model=kit.MODEL,
        date="2026-11-27",
        prompt=f"Use the key {secret} for the client",
        title="Ping",
        exchanges=[
            Exchange(response=message, expect={"model": kit.MODEL, "messages": 1}),
            Exchange(
                error={"status": 529, "type": "overloaded_error", "message": "Overloaded"},
                expect={"tool_results": ["toolu_01"]},
            ),
        ],
    )


def test_save_and_load_round_trip(tmp_path, kit):
    original = recorded(kit, "nothing-secret")
    path = original.save(tmp_path / "rec" / "session.yaml")
    loaded = load_cassette(path)

    assert path.is_file() and not list(path.parent.glob("*.tmp"))
    assert loaded.source == "recorded" and not loaded.scripted
    assert (loaded.model, loaded.date, loaded.title) == (kit.MODEL, "2026-11-27", "Ping")
    assert loaded.prompt == original.prompt
    assert [e.response for e in loaded.exchanges] == [e.response for e in original.exchanges]
    assert [e.error for e in loaded.exchanges] == [e.error for e in original.exchanges]
    assert [e.expect for e in loaded.exchanges] == [e.expect for e in original.exchanges]
    text = path.read_text(encoding="utf-8")
    assert "def ping():\n" in text.replace("      ", "")  # code reads as a block, not "\n" escapes
    assert "recorded session session.yaml" in loaded.describe()


def test_a_saved_scripted_cassette_carries_its_notice(tmp_path, script, kit):
    cassette = load_cassette(script(kit.ping_turns()))
    path = cassette.save(tmp_path / "copy.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    assert data["source"] == "scripted"
    assert data["notice"] == SCRIPTED_NOTICE
    again = load_cassette(path)
    assert [e.response for e in again.exchanges] == [e.response for e in cassette.exchanges]


def test_a_saved_cassette_holds_no_header_and_no_key(tmp_path, kit, monkeypatch):
    secret = kit.canary()
    monkeypatch.setenv("SOME_SERVICE_TOKEN", secret)
    path = recorded(kit, secret).save(tmp_path / "session.yaml")
    text = path.read_text(encoding="utf-8")

    assert secret not in text
    assert secret[:20] not in text
    assert "[REDACTED]" in text
    lowered = text.lower()
    for header in ("authorization", "x-api-key", "headers", "bearer", "anthropic-version"):
        assert header not in lowered


def test_cassette_from_dict_defaults_the_date(kit):
    cassette = cassette_from_dict({"source": "scripted", "model": "m", "turns": [{"text": "x"}]})
    assert len(cassette.date) == 10 and cassette.date.count("-") == 2
    assert cassette.prompt is None


def test_a_binary_cassette_is_a_cassette_error(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00source")
    with pytest.raises(CassetteError, match=r"^binary.yaml: cannot be read as UTF-8 text"):
        load_cassette(path)
