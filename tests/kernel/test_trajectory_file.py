"""The trajectory file: appended step by step, readable after a crash, never holding a secret."""

from __future__ import annotations

import secrets

import pytest

from agent_kernel.agent.trajectory import Trajectory, load_trajectory
from agent_kernel.history.redaction import register_secret, unregister_secret


@pytest.fixture
def trajectory(tmp_path):
    return Trajectory(tmp_path / "runs" / "one.jsonl", {"run_id": "one", "model": "m"})


def test_each_step_appends_without_rewriting_what_is_there(trajectory):
    trajectory.messages.append({"role": "user", "content": "hello"})
    trajectory.step("prompt", prompt="hello")
    before = trajectory.path.read_text(encoding="utf-8")
    trajectory.messages.append({"role": "assistant", "content": "hi"})
    trajectory.step("turn", n=1)
    after = trajectory.path.read_text(encoding="utf-8")

    assert after.startswith(before)
    assert len(after.splitlines()) == len(before.splitlines()) + 2  # one message, one step
    document = load_trajectory(trajectory.path)
    assert [m["content"] for m in document["messages"]] == ["hello", "hi"]
    assert [s["kind"] for s in document["steps"]] == ["prompt", "turn"]
    assert document["info"] == {"run_id": "one", "model": "m"}


def test_the_last_info_and_a_replaced_message_win(trajectory):
    trajectory.messages.append({"role": "user", "content": "first"})
    trajectory.step("prompt")
    trajectory.messages[0] = {"role": "user", "content": "replaced"}
    trajectory.info["status"] = "ok"
    trajectory.save()

    document = load_trajectory(trajectory.path)
    assert document["messages"] == [{"role": "user", "content": "replaced"}]
    assert document["info"]["status"] == "ok"


def test_a_save_writes_a_replaced_middle_message_and_the_new_ones_only(trajectory):
    for word in ("one", "two", "three"):
        trajectory.messages.append({"role": "user", "content": word})
    trajectory.step("prompt")
    before = trajectory.path.read_text(encoding="utf-8")
    trajectory.messages[1] = {"role": "assistant", "content": "TWO"}
    trajectory.messages.append({"role": "user", "content": "four"})
    trajectory.save()

    added = trajectory.path.read_text(encoding="utf-8").removeprefix(before).splitlines()
    assert len(added) == 2  # the replaced message and the new one, nothing else again
    document = load_trajectory(trajectory.path)
    assert [m["content"] for m in document["messages"]] == ["one", "TWO", "three", "four"]


def test_a_torn_last_line_is_skipped_and_a_broken_middle_line_is_an_error(trajectory):
    trajectory.step("prompt")
    trajectory.step("turn")
    whole = trajectory.path.read_text(encoding="utf-8")
    trajectory.path.write_text(whole[:-10], encoding="utf-8")  # died mid-write

    assert [s["kind"] for s in load_trajectory(trajectory.path)["steps"]] == ["prompt"]

    lines = whole.splitlines()
    trajectory.path.write_text("\n".join([lines[0], "{not json", *lines[1:]]), encoding="utf-8")
    with pytest.raises(ValueError, match="line 2 is not JSON"):
        load_trajectory(trajectory.path)


def test_a_secret_learnt_mid_run_is_redacted_in_earlier_lines_too(trajectory):
    secret = "canary-" + secrets.token_hex(12)
    trajectory.messages.append({"role": "user", "content": f"use {secret}"})
    trajectory.step("prompt")
    assert secret in trajectory.path.read_text(encoding="utf-8")  # not known as one yet

    register_secret(secret)
    try:
        trajectory.step("turn")
        text = trajectory.path.read_text(encoding="utf-8")
    finally:
        unregister_secret(secret)

    assert secret not in text
    assert load_trajectory(trajectory.path)["messages"][0]["content"] == "use [REDACTED]"
    assert [s["kind"] for s in load_trajectory(trajectory.path)["steps"]] == ["prompt", "turn"]


def test_text_that_redaction_must_see_through_is_redacted_on_disk(trajectory):
    kelvin_key = "to\u212aen=abcd1234efgh5678"  # KELVIN SIGN: lower-cased, it is a "k"
    trajectory.messages.append({"role": "user", "content": f"naïve café; {kelvin_key}"})
    trajectory.step("prompt")

    text = trajectory.path.read_text(encoding="utf-8")
    assert "abcd1234efgh5678" not in text
    message = load_trajectory(trajectory.path)["messages"][0]["content"]
    assert message == "naïve café; to\u212aen=[REDACTED]"


def test_text_with_nothing_secret_is_written_exactly(trajectory):
    content = [
        {"type": "text", "text": "déjà vu — lorem ipsum"},
        {"type": "text", "text": "x\udcff"},
    ]
    trajectory.messages.append({"role": "assistant", "content": content})
    trajectory.step("turn", n=1)

    assert load_trajectory(trajectory.path)["messages"] == [
        {"role": "assistant", "content": content}
    ]
