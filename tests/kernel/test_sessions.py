"""Sessions: the next prompt carries the conversation, PHRs link, resume after a new process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agent_kernel.agent.session import Session, SessionError, list_sessions, trajectory_path
from agent_kernel.api.cassette import load_cassette
from agent_kernel.history.phr import parse_phr
from agent_kernel.workbench import Workbench

SECOND = "Now make the ping route answer HEAD requests too."


def session_cassette(directory: Path, kit, prompts: list[tuple[str, list]]) -> Path:
    data = {
        "source": "scripted",
        "model": kit.MODEL,
        "date": "2026-12-02",
        "title": "two prompts",
        "prompts": [{"prompt": p, "turns": t} for p, t in prompts],
    }
    path = directory / "conversation.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def second_turns(kit) -> list:
    view = kit.edit("view", "sandbox_app/api/routes/ping.py")
    return [
        {"text": "Looking at the route I added.", "tool_calls": [view]},
        kit.submit(phr={"stage": "green", "feature": "ping", "title": "Ping answers HEAD too"}),
    ]


@pytest.fixture
def two_prompts(cassettes, kit) -> Path:
    return session_cassette(
        cassettes, kit, [(kit.PROMPT, kit.ping_turns()), (SECOND, second_turns(kit))]
    )


def workbench(tmp_path: Path, cassette: Path, **options) -> Workbench:
    return Workbench(
        workspace=tmp_path / "ws",
        history=tmp_path / "history",
        mode="replay",
        cassette=cassette,
        display=False,
        **options,
    )


def test_a_multi_prompt_cassette_expands_every_prompt_with_distinct_ids(two_prompts):
    cassette = load_cassette(two_prompts)
    assert cassette.prompts[1] == SECOND and cassette.prompt == cassette.prompts[0]
    ids = [
        block["id"]
        for exchange in cassette.exchanges
        for block in exchange.response["content"]
        if block["type"] == "tool_use"
    ]
    assert len(ids) == len(set(ids))
    assert cassette.exchanges[3].expect["prompt"] == SECOND


def test_the_second_prompt_carries_the_first_exchange(tmp_path, two_prompts, fake_checks, kit):
    wb = workbench(tmp_path, two_prompts)
    first = wb.run(kit.PROMPT)
    assert first.status == "ok", first.reason
    second = wb.run(SECOND)
    assert second.status == "ok", second.reason

    requests = wb.handle.replay.requests
    opening = requests[3]  # the first request of the second prompt
    sent = json.dumps(opening["messages"])
    assert opening["messages"][0]["content"] == kit.PROMPT
    assert "toolu_scripted_01_1" in sent and "tool_result" in sent  # earlier tool results
    assert "submit_result" in sent and "Contract accepted" in sent  # and the contract
    last = opening["messages"][-1]
    assert last["role"] == "user" and last["content"][0]["text"] == SECOND
    assert first.session_id == second.session_id == wb.session.id
    assert second.trajectory_path == first.trajectory_path  # one record per session
    assert wb.session.prompts == [kit.PROMPT, SECOND]
    assert wb.session.turns == first.turns + second.turns
    assert wb.session.cost_usd == pytest.approx(first.cost_usd + second.cost_usd)


def test_phrs_of_a_session_link_to_each_other(tmp_path, two_prompts, fake_checks, kit):
    wb = workbench(tmp_path, two_prompts)
    first, second = wb.run(kit.PROMPT), wb.run(SECOND)
    meta_one = parse_phr(first.phr_path)["front_matter"]
    meta_two = parse_phr(second.phr_path)["front_matter"]
    assert meta_one["session"] == meta_two["session"] == wb.session.id
    assert meta_one["links"] == {"spec": None, "ticket": None, "adr": None, "pr": None}
    previous = meta_two["links"]["previous"]
    assert (wb.history_dir / previous) == first.phr_path
    assert first.phr_path != second.phr_path


def test_new_session_starts_afresh(tmp_path, two_prompts, fake_checks, kit):
    wb = workbench(tmp_path, two_prompts)
    first = wb.run(kit.PROMPT)
    wb.new_session()
    again = wb.run(kit.PROMPT)
    assert again.status == "ok", again.reason
    assert again.session_id != first.session_id
    assert wb.handle.replay.requests[0]["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": kit.PROMPT, **cache()}]}
    ]
    assert wb.session.prompts == [kit.PROMPT]


def cache() -> dict:
    return {"cache_control": {"type": "ephemeral"}}


def test_a_different_next_prompt_is_a_named_mismatch(tmp_path, two_prompts, fake_checks, kit):
    wb = workbench(tmp_path, two_prompts)
    wb.run(kit.PROMPT)
    result = wb.run("Something else entirely.")
    assert result.status == "error"
    assert "next prompt differs" in result.reason and "exchange 4" in result.reason


def test_resume_after_a_fresh_process(tmp_path, two_prompts, fake_checks, kit):
    wb = workbench(tmp_path, two_prompts)
    first = wb.run(kit.PROMPT)
    session_id = first.session_id
    assert [row["id"] for row in list_sessions()] == [session_id]

    script = f"""
import json
from agent_kernel import Workbench
wb = Workbench.resume({session_id!r}, mode="replay", cassette={str(two_prompts)!r},
                      history={str(tmp_path / "history")!r}, display=False)
result = wb.run({SECOND!r})
print(json.dumps({{"status": result.status, "reason": result.reason,
                  "session": result.session_id,
                  "sent": wb.handle.replay.requests[0]["messages"][0]["content"],
                  "messages": len(wb.handle.replay.requests[0]["messages"])}}))
"""
    env = {**os.environ, "WORKBENCH_STATE_DIR": os.environ["WORKBENCH_STATE_DIR"]}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180, env=env
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == "ok", out["reason"]
    assert out["session"] == session_id
    assert out["sent"] == kit.PROMPT  # the first prompt's exchange went along
    assert out["messages"] > 2
    resumed = Session.load(session_id, wb.workspace.root)
    assert resumed.prompts == [kit.PROMPT, SECOND]
    [row] = list_sessions()
    assert row["prompts"] == 2 and row["first_prompt"] == kit.PROMPT
    assert row["last_status"] == "ok" and row["turns"] == resumed.turns


def test_resume_refuses_missing_truncated_and_foreign_trajectories(
    tmp_path, two_prompts, fake_checks, kit
):
    wb = workbench(tmp_path, two_prompts)
    session_id = wb.run(kit.PROMPT).session_id
    path = trajectory_path(wb.workspace.root, session_id)

    with pytest.raises(SessionError, match="no session 'nope'"):
        Workbench.resume("nope")
    with pytest.raises(SessionError, match="does not exist"):
        Session.load("20260101-000000-abcdef", wb.workspace.root)

    other = tmp_path / "other"
    foreign = trajectory_path(other, session_id)
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(path.read_bytes())
    with pytest.raises(SessionError, match="another workspace"):
        Session.load(session_id, other)

    whole = path.read_bytes()
    path.write_bytes(whole[:-7])  # the process died mid-write
    with pytest.raises(SessionError, match="truncated"):
        Workbench.resume(session_id, mode="replay", cassette=two_prompts, display=False)
    assert path.read_bytes() == whole[:-7]  # nothing changed

    lines = whole.decode().splitlines(keepends=True)
    ended = [i for i, line in enumerate(lines) if '"kind": "end"' in line]
    path.write_text("".join(lines[: ended[-1]]), encoding="utf-8")  # no end step: cut mid-run
    with pytest.raises(SessionError, match="truncated"):
        Session.load(session_id, wb.workspace.root)


def test_cli_resume_continues_the_session(tmp_path, two_prompts, fake_checks, kit, capsys):
    from agent_kernel.terminal.cli import main

    common = ["--mode", "replay", "--cassette", str(two_prompts), "--history", str(tmp_path / "h")]
    assert main(["run", kit.PROMPT, *common, "--workspace", str(tmp_path / "ws"), "--json"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["run", SECOND, *common, "--resume", first["session_id"], "--json"]) == 0
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert second["session_id"] == first["session_id"], second["reason"]
    session = Session.load(first["session_id"], tmp_path / "ws")
    assert session.prompts == [kit.PROMPT, SECOND]
    assert second["trajectory_path"] == first["trajectory_path"]


def test_the_runner_returns_the_loops_own_result(replay_run, script, kit, monkeypatch):
    from agent_kernel.agent import loop as loop_module

    returned = []
    original = loop_module.AgentLoop.run

    def run(self, prompt):
        outcome = original(self, prompt)
        returned.append(outcome)
        return outcome

    monkeypatch.setattr(loop_module.AgentLoop, "run", run)
    result = replay_run(script(kit.ping_turns()))
    assert result is returned[0]  # one result type, filled in place: nothing copied over
    assert result.files_changed == sorted(kit.PING_FILES) and result.turns == 3
    assert not hasattr(loop_module, "LoopOutcome")
