"""The `workbench` command: fast help, exit codes, `run --json`, `adr new`, `history`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent_kernel.agent.trajectory import load_trajectory
from agent_kernel.terminal.cli import main

RESULT_KEYS = {
    "status",
    "phr_path",
    "trajectory_path",
    "files_changed",
    "usage",
    "cost_usd",
    "contract",
}


@pytest.fixture
def cli(capsys, tmp_path, fake_checks):
    """Run `workbench ...` in process; returns (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def run_args(kit, tmp_path, cassette, *extra: str, prompt: str | None = None) -> list[str]:
    return [
        "run",
        prompt or kit.PROMPT,
        *("--mode", "replay", "--cassette", str(cassette)),
        *("--workspace", str(tmp_path / "ws"), "--history", str(tmp_path / "history")),
        *extra,
    ]


def test_help_is_fast_and_does_not_import_the_sdk(kit):
    code = (
        "import sys\n"
        "from agent_kernel.terminal.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('SDK', 'anthropic' in sys.modules, 'httpx2' in sys.modules)\n"
        "heavy = ('pydantic', 'mcp', 'dask', 'fastapi', 'yaml')\n"
        "print('heavy', [m for m in heavy if m in sys.modules])\n"
    )
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert "SDK False False" in probe.stdout
    assert "heavy []" in probe.stdout

    done = subprocess.run([*kit.WORKBENCH, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "run" in done.stdout and "adr" in done.stdout and "history" in done.stdout
    assert done.stderr == ""


def test_the_console_script_is_installed():
    script = Path(sys.executable).parent / "workbench"
    done = subprocess.run([str(script), "run", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for option in ("--workspace", "--history", "--mode", "--cassette", "--model"):
        assert option in done.stdout
    for option in ("--max-turns", "--max-cost", "--json"):
        assert option in done.stdout


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["run"],
        ["frobnicate"],
        ["run", "x", "--mode", "sometimes"],
        ["run", "x", "--max-turns", "many"],
        ["run", "x", "--max-cost", "cheap"],
        ["run", "x", "--max-turns", "0"],
        ["run", "x", "--max-cost", "-1"],
        ["run", "x", "--max-seconds", "0"],
        ["adr"],
        ["history", "delete"],
    ],
)
def test_bad_usage_exits_2(cli, argv):
    code, _, err = cli(*argv)
    assert code == 2
    assert "Traceback" not in err


def test_bad_usage_exits_2_as_a_process(kit):
    done = subprocess.run(
        [*kit.WORKBENCH, "run", "x", "--mode", "sometimes"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "invalid choice" in done.stderr


def test_run_json_ok(cli, kit, script, tmp_path):
    code, out, err = cli(*run_args(kit, tmp_path, script(kit.ping_turns())), "--json")

    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert set(result) >= RESULT_KEYS
    assert result["status"] == "ok"
    assert result["files_changed"] == kit.PING_FILES
    assert result["contract"]["phr"]["title"] == "Add ping route to API"
    assert set(result["usage"]) == {
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
    }
    assert result["cost_usd"] > 0
    with open(result["phr_path"], encoding="utf-8") as phr:
        assert kit.PROMPT in phr.read()
    assert load_trajectory(result["trajectory_path"])["info"]["status"] == "ok"
    # The stream goes to stderr so stdout stays machine-readable.
    assert "→ str_replace_based_edit_tool: create sandbox_app/api/routes/ping.py" in err
    assert "scripted session" in err


def test_run_not_ok_exits_1(cli, kit, script, tmp_path):
    code, out, _ = cli(*run_args(kit, tmp_path, script([{"text": "a"}, {"text": "b"}])), "--json")

    assert code == 1
    assert json.loads(out.strip().splitlines()[-1])["status"] == "incomplete"


def test_run_budget_flags(cli, kit, script, tmp_path):
    code, out, _ = cli(
        *run_args(kit, tmp_path, script(kit.ping_turns())), "--max-turns", "1", "--json"
    )
    result = json.loads(out.strip().splitlines()[-1])

    assert code == 1
    assert result["status"] == "budget_exceeded"
    assert result["reason"] == "turn limit reached (1 of 1 turns)"


def test_run_without_json_prints_where_things_are(cli, kit, script, tmp_path):
    code, out, _ = cli(*run_args(kit, tmp_path, script(kit.ping_turns())))

    assert code == 0
    assert "== ok: contract submitted" in out
    assert f"workspace: {tmp_path / 'ws'}" in out
    assert "PHR: " in out and "trajectory: " in out


def test_run_reads_the_prompt_from_stdin(cli, kit, script, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(kit.PROMPT))
    code, out, _ = cli(*run_args(kit, tmp_path, script(kit.ping_turns()), "--json", prompt="-"))
    assert code == 0
    assert json.loads(out.strip().splitlines()[-1])["status"] == "ok"


def test_an_empty_prompt_is_bad_usage(cli):
    code, _, err = cli("run", "   ")
    assert code == 2
    assert "the prompt is empty" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--mode", "replay", "--cassette", "nowhere.yaml"], "cassette not found"),
        (["--mode", "replay"], "replay needs a cassette"),
        (["--mode", "live"], "live mode needs ANTHROPIC_API_KEY"),
        (["--agent", "no-agent.md"], "agent definition not found"),
    ],
)
def test_setup_errors_are_one_line_and_exit_2(cli, tmp_path, argv, message):
    code, _, err = cli("run", "hello", "--history", str(tmp_path / "h"), *argv)

    assert code == 2
    assert err.startswith("workbench: ") and message in err
    assert err.count("\n") == 1


def test_a_bad_setting_is_one_line(cli, kit, script, tmp_path, monkeypatch):
    from agent_kernel.settings import get_settings

    monkeypatch.setenv("WORKBENCH_MAX_RETRIES", "several")
    get_settings.cache_clear()
    code, _, err = cli(*run_args(kit, tmp_path, script(kit.ping_turns())))
    assert code == 2
    assert err.startswith("workbench: invalid setting (WORKBENCH_MAX_RETRIES: ")
    assert err.count("\n") == 1


def test_a_broken_cassette_is_one_line(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: scripted\nmodel: m\nturns: [{error: 529}]\n", encoding="utf-8")
    code, _, err = cli("run", "hi", "--mode", "replay", "--cassette", str(bad))
    assert code == 2
    assert "bad.yaml: turn 1: `error` must be a mapping" in err


def test_a_bad_model_is_one_line(cli, kit, script, tmp_path):
    code, _, err = cli(*run_args(kit, tmp_path, script(kit.ping_turns())), "--model", "a b")
    assert code == 2
    assert "not a model id" in err


def test_an_unknown_model_is_refused_with_the_aliases(cli, kit, script, tmp_path, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    code, _, err = cli(*run_args(kit, tmp_path, script(kit.ping_turns())), "--model", "gpt-9")
    assert code == 2
    assert "unknown model 'gpt-9'" in err and "sonnet, opus, haiku" in err
    assert not (tmp_path / "history").exists()  # refused before anything ran


def test_an_unknown_model_behind_a_gateway_runs_with_a_warning_and_no_price(
    cli, kit, script, tmp_path, monkeypatch
):
    from agent_kernel.settings import reload_settings

    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/gateway")
    reload_settings()
    try:
        argv = run_args(kit, tmp_path, script(kit.ping_turns()), "--model", "gpt-9")
        code, out, err = cli(*argv)
    finally:
        monkeypatch.delenv("ANTHROPIC_BASE_URL")
        reload_settings()
    assert code == 0, err
    assert "not one the installed anthropic SDK knows" in err
    assert "cost unknown" in out and "$0.0000" not in out


def test_a_scripted_replay_marks_its_tokens_and_cost_as_estimates(cli, kit, script, tmp_path):
    code, out, _ = cli(*run_args(kit, tmp_path, script(kit.ping_turns())))
    assert code == 0
    [final] = [line for line in out.splitlines() if line.startswith("== ok")]
    assert "out tokens · $" in final and "estimates: a scripted session calls no model" in final
    paths = [line.removeprefix("PHR: ") for line in out.splitlines() if line.startswith("PHR: ")]
    [phr] = [p for p in paths if not p.startswith("stage ")]  # the contract's PHR fields aside
    text = Path(phr).read_text(encoding="utf-8")
    assert "out tokens · $" in text and "estimates: a scripted session calls no model" in text


def test_auto_mode_says_it_replays(cli, kit, script, tmp_path):
    code, _, err = cli(
        "run",
        kit.PROMPT,
        *("--cassette", str(script(kit.ping_turns())), "--json"),
        *("--workspace", str(tmp_path / "ws"), "--history", str(tmp_path / "h")),
    )
    assert code == 0
    assert "No ANTHROPIC_API_KEY: running offline from the cassette" in err


def test_adr_new_writes_an_adr(cli, tmp_path):
    history = tmp_path / "history"
    code, out, _ = cli(
        "adr",
        "new",
        "Use JWT bearer tokens for auth",
        *("--context", "Clients are mobile apps.", "--decision", "JWT with short expiry."),
        *("--feature", "auth", "--history", str(history)),
    )

    assert code == 0
    [path] = (history / "adr").glob("*.md")
    assert out.strip() == str(path)
    assert path.name == "0001-use-jwt-bearer-tokens-for-auth.md"
    text = path.read_text(encoding="utf-8")
    assert "Clients are mobile apps." in text and "JWT with short expiry." in text

    code, out, _ = cli("adr", "new", "Second decision here", "--history", str(history))
    assert code == 0 and "0002-second-decision-here.md" in out


def test_history_list_show_and_search(cli, kit, script, tmp_path):
    history = tmp_path / "history"
    code, _, _ = cli(*run_args(kit, tmp_path, script(kit.ping_turns())), "--json")
    assert code == 0

    code, out, _ = cli("history", "list", "--history", str(history))
    assert code == 0
    assert "Add ping route to API" in out
    [row] = [line for line in out.splitlines() if "Add ping route" in line]
    key = row.split()[0]
    assert key.endswith("/0001") and "/" in key

    for ident in ("1", key):
        code, out, _ = cli("history", "show", ident, "--history", str(history))
        assert code == 0
        assert kit.PROMPT in out

    code, out, _ = cli("history", "search", "ping", "--history", str(history))
    assert code == 0 and "Add ping route to API" in out

    code, _, err = cli("history", "show", "42", "--history", str(history))
    assert code == 1 and "no PHR with id 42" in err and "auth/0001" in err

    code, _, err = cli("history", "show", "--history", str(history))
    assert code == 2 and "needs an argument" in err


def test_history_list_of_an_empty_history(cli, tmp_path):
    code, _, err = cli("history", "--history", str(tmp_path / "empty"))
    assert code == 0
    assert "Traceback" not in err


def test_the_console_streams_text_and_redacts_split_secrets(kit):
    from agent_kernel.agent.events import Notice, TextDelta, ToolCalled
    from agent_kernel.terminal.console import ConsoleObserver

    key = kit.canary()
    out = io.StringIO()
    console = ConsoleObserver(out)
    text = f"Line one.\nThe key is {key} indeed.\n" + "word " * 50
    for at in range(0, len(text), 5):
        console(TextDelta(text[at : at + 5]))
        if at == 10:
            assert out.getvalue() == "Line one.\n"  # a finished line shows at once
    assert "word word" in out.getvalue()  # a long line is not held back whole
    console(ToolCalled("t1", "run_tests", {}))
    console(Notice(f"something about {key}"))
    printed = out.getvalue()

    assert key not in printed and key[12:30] not in printed
    assert "The key is [REDACTED] indeed." in printed
    assert printed.count("word") == 50
    assert "→ run_tests: (all tests)" in printed
    assert "! something about [REDACTED]" in printed


def test_eval_is_a_workbench_subcommand(tmp_path):
    """`workbench eval` reaches the eval harness: one task replayed, scored, JSON last."""
    script = Path(sys.executable).parent / "workbench"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["CI"] = "true"
    done = subprocess.run(
        [str(script), "eval", "--mode", "replay", "--tasks", "rest_notes", "--jobs", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["mode"] == "replay"
    assert report["variants"][0]["pass_at_1"] == 1.0
    assert report["tasks"][0]["task"] == "rest_notes"


def test_a_mistyped_workspace_is_refused_and_a_new_one_is_announced(cli, kit, script, tmp_path):
    cassette = script(kit.ping_turns())
    code, _, err = cli(
        "run", kit.PROMPT, "--mode", "replay", "--cassette", str(cassette),
        "--workspace", str(tmp_path / "nonexistent" / "dir"),
        "--history", str(tmp_path / "history"),
    )  # fmt: skip
    assert code == 2 and "does not exist" in err
    assert not (tmp_path / "nonexistent").exists()

    code, _, err = cli(*run_args(kit, tmp_path, cassette))
    assert code == 0
    assert f"new workspace from the baseline at {(tmp_path / 'ws').resolve()}" in err
    code, _, err = cli(*run_args(kit, tmp_path, cassette))
    assert "new workspace" not in err


def test_demo_replays_the_tour_offline_and_says_how_to_go_live(cli, tmp_path, monkeypatch):
    import agent_kernel.workbench as facade

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("WORKBENCH_HISTORY", raising=False)
    monkeypatch.setattr(facade, "default_history_dir", lambda: tmp_path / "repo-history")
    code, out, err = cli("demo")
    assert code == 0, err
    assert "scripted session" in out and "not a model answer" in out
    assert "== Execution Contract\nSurface and success:" in out
    assert "Acceptance checks:" in out and "[FAIL]" not in out
    assert "diff --git a/sandbox_app/" in out
    assert "export ANTHROPIC_API_KEY" in out
    assert not (tmp_path / "repo-history").exists()  # its PHR stays in its own workspace


def test_run_json_carries_red_green_and_the_console_shows_it(cli, kit, script, tmp_path):
    code, out, err = cli(*run_args(kit, tmp_path, script(kit.ping_turns())), "--json")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["red_green"] == [{"test": kit.PING_TEST, "red": True, "green": True}]
    assert result["memory"] == ["CLAUDE.md"] and result["stage"] is None
    assert f"red -> green  {kit.PING_TEST}" in err


def test_a_stage_that_cannot_start_is_one_line_and_exit_2(cli, kit, script, tmp_path):
    cassette = script(kit.ping_turns(), prompt="/sp.tasks")
    code, _, err = cli(*run_args(kit, tmp_path, cassette, prompt="/sp.tasks"))
    assert code == 2
    assert "no feature under specs/ yet: start one with /sp.specify <description>" in err
    code, _, err = cli(*run_args(kit, tmp_path, cassette, prompt="/sp.ship it"))
    assert code == 2 and "/sp.ship is not a stage the workbench runs" in err
