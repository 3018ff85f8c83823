"""API faults: the SDK retries 429/5xx/529 and timeouts, then the run reports one clear line,
and its PHR and trajectory are still written. The CLI shows no traceback."""

from __future__ import annotations

import json
import subprocess

import pytest

from agent_kernel.agent.trajectory import load_trajectory


def fault(status: int, kind: str, message: str = "scripted fault") -> dict:
    return {"error": {"status": status, "type": kind, "message": message}}


OVERLOADED = fault(529, "overloaded_error", "Overloaded")
SERVER = fault(500, "api_error", "Internal server error")
RATE = fault(429, "rate_limit_error", "Slow down")
TIMEOUT = {"timeout": True}


def assert_recorded(result, read_trajectory) -> None:
    assert result.phr_path is not None and result.phr_path.is_file()
    phr = result.phr_path.read_text(encoding="utf-8")
    assert f"status {result.status}" in phr
    trajectory = read_trajectory(result)
    assert trajectory["info"]["status"] == result.status
    assert trajectory["steps"][-1]["kind"] == "end"


def test_rate_limit_then_success_is_retried(replay_run, script, kit, read_trajectory):
    result = replay_run(script([RATE, *kit.ping_turns()]))

    assert result.status == "ok", result.reason
    assert result.turns == 3
    assert len(replay_run.handle.replay.requests) == 4  # one retry
    assert replay_run.handle.replay.finished


def test_overloaded_twice_then_success(replay_run, script, kit):
    result = replay_run(script([OVERLOADED, OVERLOADED, *kit.ping_turns()]))

    assert replay_run.handle.client.max_retries == 2
    assert result.status == "ok", result.reason
    assert len(replay_run.handle.replay.requests) == 5


def test_overloaded_mid_session_then_success(replay_run, script, kit):
    turns = kit.ping_turns()
    result = replay_run(script([turns[0], OVERLOADED, *turns[1:]]))
    assert result.status == "ok", result.reason


def test_server_error_three_times_is_reported(replay_run, script, kit, read_trajectory):
    result = replay_run(script([SERVER, SERVER, SERVER, *kit.ping_turns()]))

    assert result.status == "error"
    assert result.reason == "API error 500 (api_error) after 2 retries: Internal server error"
    assert "\n" not in result.reason
    assert len(replay_run.handle.replay.requests) == 3
    assert_recorded(result, read_trajectory)


def test_timeouts_are_reported(replay_run, script, kit, read_trajectory):
    result = replay_run(script([TIMEOUT, TIMEOUT, TIMEOUT, *kit.ping_turns()]))

    assert result.status == "error"
    assert "timed out" in result.reason and "after 2 retries" in result.reason
    assert_recorded(result, read_trajectory)


def test_a_stream_cut_midway_is_one_line(replay_run, script, kit, read_trajectory):
    turns = kit.ping_turns()
    turns[1] = dict(turns[1], stream_cut=True)
    result = replay_run(script(turns))

    assert result.status == "error"
    assert "\n" not in result.reason
    assert "stream" in result.reason or "connection" in result.reason
    assert "peer closed connection" in result.reason
    assert result.turns == 2
    # The first turn's work is kept: its view ran and the run record shows it.
    assert result.tool_trace[0].name == "str_replace_based_edit_tool"
    assert_recorded(result, read_trajectory)


def test_a_request_error_is_not_retried(replay_run, script, kit):
    result = replay_run(
        script([fault(400, "invalid_request_error", "messages: bad"), *kit.ping_turns()])
    )

    assert result.status == "error"
    assert result.reason == "API error 400 (invalid_request_error): messages: bad"
    assert len(replay_run.handle.replay.requests) == 1


def test_an_authentication_error_is_clear(replay_run, script, kit):
    result = replay_run(script([fault(401, "authentication_error", "invalid x-api-key")]))
    assert result.status == "error"
    assert result.reason == "API error 401 (authentication_error): invalid x-api-key"


FAULTS = {
    "overloaded": [OVERLOADED, OVERLOADED, OVERLOADED],
    "server": [SERVER, SERVER, SERVER],
    "timeout": [TIMEOUT, TIMEOUT, TIMEOUT],
    "cut": "cut",
}


def test_the_cli_reports_faults_without_a_traceback(kit, tmp_path):
    """All four faults through `workbench run --json` as subprocesses, run side by side."""
    procs = {}
    for name, turns in FAULTS.items():
        if turns == "cut":
            session = kit.ping_turns()
            session[0] = dict(session[0], stream_cut=True)
        else:
            session = [*turns, *kit.ping_turns()]
        cassette = kit.write_cassette(tmp_path / "c", session, name=name)
        argv = [
            *kit.WORKBENCH,
            "run",
            kit.PROMPT,
            "--mode",
            "replay",
            "--cassette",
            str(cassette),
            "--workspace",
            str(tmp_path / f"ws-{name}"),
            "--history",
            str(tmp_path / f"h-{name}"),
            "--json",
        ]
        procs[name] = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=kit.cli_env(),
            cwd=tmp_path,
        )
    reasons = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=90)
        assert "Traceback" not in err and "Traceback" not in out, (name, err)
        assert proc.returncode == 1, (name, err)
        result = json.loads(out.strip().splitlines()[-1])
        assert result["status"] == "error", name
        assert "\n" not in result["reason"]
        reasons[name] = result["reason"]
        assert f"Run ended (error): {result['reason']}" in err  # said once, in one line
        assert result["phr_path"] and (tmp_path / f"h-{name}").is_dir()
        with open(result["phr_path"], encoding="utf-8") as phr:
            assert "status error" in phr.read()
        assert load_trajectory(result["trajectory_path"])["info"]["status"] == "error"
    expected = {
        "overloaded": "API error 529 (overloaded_error) after 2 retries",
        "server": "API error 500 (api_error) after 2 retries",
        "timeout": "the API request timed out after 2 retries",
        "cut": "peer closed connection",
    }
    for name, text in expected.items():
        assert text in reasons[name], reasons[name]


@pytest.mark.parametrize("status", [429, 500, 529])
def test_retried_status_codes_say_after_retries(replay_run, script, kit, status):
    kinds = {429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}
    session = [fault(status, kinds[status])] * 3
    result = replay_run(script(session))
    assert result.reason.startswith(f"API error {status} ({kinds[status]}) after 2 retries")
