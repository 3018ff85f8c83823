"""A canary key in ANTHROPIC_API_KEY and a canary token in another variable (and in the
prompt) never reach a file the workbench writes, nor the CLI's output, in record or replay."""

from __future__ import annotations

import json
import subprocess

import pytest

PROBE_TEST = """import os


def test_env():
    names = ("ANTHROPIC_API_KEY", "PAYMENTS_SERVICE_TOKEN")
    print("ENV-PROBE", *(os.environ.get(name) for name in names))
    assert False, "shows the captured output"
"""


def session(kit) -> list[dict]:
    probe = kit.edit("create", "tests/test_env.py", file_text=PROBE_TEST)
    checks = [{"description": "the environment is clean", "test": "tests/test_env.py::test_env"}]
    return [
        {"text": "I'll check what the tests can see.", "tool_calls": [probe]},
        kit.submit(acceptance_checks=checks),
    ]


def workbench(kit, argv: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*kit.WORKBENCH, "run", *argv, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def canaries(kit):
    return kit.canary(), kit.canary()


def assert_clean(kit, secrets: tuple[str, ...], *roots, outputs: tuple[str, ...] = ()) -> int:
    files = kit.tree_text(*roots)
    for path, text in files.items():
        for secret in secrets:
            assert secret not in text, f"a canary leaked into {path}"
            assert secret[10:40] not in text, f"part of a canary leaked into {path}"
    for output in outputs:
        for secret in secrets:
            assert secret not in output
    return len(files)


def test_canaries_stay_out_of_files_and_output(messages_server, kit, tmp_path, canaries):
    key, token = canaries
    prompt = f"Add GET /api/pay that calls the payments API with the token {token} please."
    env = kit.cli_env(
        ANTHROPIC_API_KEY=key,
        ANTHROPIC_BASE_URL=messages_server.url,
        PAYMENTS_SERVICE_TOKEN=token,
    )
    cassette = tmp_path / "cassettes" / "pay.yaml"
    history = tmp_path / "history"
    messages_server.script(session(kit))

    recorded = workbench(
        kit,
        [
            prompt,
            *("--mode", "record", "--cassette", str(cassette)),
            *("--workspace", str(tmp_path / "ws-record"), "--history", str(history)),
        ],
        env,
        tmp_path,
    )
    assert "Traceback" not in recorded.stderr, recorded.stderr
    record_result = json.loads(recorded.stdout.strip().splitlines()[-1])

    # The key was really used, and the probe test really ran with a stripped environment.
    assert messages_server.received[0].headers.get("authorization") == f"Bearer {key}"
    assert record_result["status"] == "incomplete"
    assert "ENV-PROBE None None" in record_result["checks"][0]["output"]

    replayed = workbench(
        kit,
        [
            prompt,
            *("--mode", "replay", "--cassette", str(cassette)),
            *("--workspace", str(tmp_path / "ws-replay"), "--history", str(history)),
        ],
        env,
        tmp_path,
    )
    assert "Traceback" not in replayed.stderr, replayed.stderr
    replay_result = json.loads(replayed.stdout.strip().splitlines()[-1])
    assert replay_result["status"] == record_result["status"], replay_result["reason"]
    assert replay_result["files_changed"] == record_result["files_changed"]
    assert len(messages_server.received) == 2  # replay never called the server

    count = assert_clean(
        kit,
        canaries,
        tmp_path / "ws-record",
        tmp_path / "ws-replay",
        history,
        cassette,
        outputs=(recorded.stdout, recorded.stderr, replayed.stdout, replayed.stderr),
    )
    assert count > 20
    trajectories = list((tmp_path / "ws-record").glob(".workbench/trajectories/*.jsonl"))
    assert trajectories and "[REDACTED]" in trajectories[0].read_text(encoding="utf-8")
    phrs = list(history.rglob("*.prompt.md"))
    assert len(phrs) == 2
    assert all("[REDACTED]" in phr.read_text(encoding="utf-8") for phr in phrs)


def test_in_process_runs_register_the_key(live_env, messages_server, workspace, history, kit):
    """The key is redacted even where no pattern would catch it (a short gateway key)."""
    from agent_kernel.agent.definition import load_agent
    from agent_kernel.agent.runner import run_agent
    from agent_kernel.api.client import make_client

    key = "gw-" + kit.canary()[-24:]
    live_env(key)
    echo = {"text": f"Your key is {key}, I will not use it."}
    messages_server.script([echo, {"text": "Bye."}])
    result = run_agent(
        f"My gateway key is {key}; say hello.",
        handle=make_client("live"),
        agent=load_agent(),
        workspace=workspace,
        history_dir=history,
    )

    assert result.status == "incomplete"
    assert_clean(kit, (key,), workspace.root, history)
    assert key not in result.to_json()


def test_an_echoed_key_is_not_printed(cli_in_process, messages_server, live_env, kit, tmp_path):
    """A model that repeats the key (streamed in pieces) does not put it on the terminal."""
    key = kit.canary()
    live_env(key)
    echo = f"The key you gave me is {key} and I will keep it out of the code.\nNext line."

    for json_flag in ([], ["--json"]):
        messages_server.script([{"text": echo}, {"text": "Done."}])
        code, out, err = cli_in_process(
            "run",
            "Say hello.",
            *("--mode", "live", "--workspace", str(tmp_path / "ws")),
            *("--history", str(tmp_path / "h"), *json_flag),
        )
        assert code == 1
        assert key not in out and key not in err
        assert key[12:30] not in out + err
        assert "The key you gave me is [REDACTED] and I will keep it out" in out + err
        assert "Next line." in out + err


@pytest.fixture
def cli_in_process(capsys):
    from agent_kernel.terminal.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_a_secret_in_the_contract_stays_out_of_the_json(
    cli_in_process, script, kit, tmp_path, fake_checks
):
    secret = kit.canary()
    cassette = script([kit.submit(constraints=[f"call the API with {secret}"])])
    code, out, err = cli_in_process(
        "run",
        kit.PROMPT,
        *("--mode", "replay", "--cassette", str(cassette), "--json"),
        *("--workspace", str(tmp_path / "ws"), "--history", str(tmp_path / "h")),
    )

    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["contract"]["constraints"] == ["call the API with [REDACTED]"]
    assert secret not in out + err
    assert_clean(kit, (secret,), tmp_path / "ws", tmp_path / "h")
