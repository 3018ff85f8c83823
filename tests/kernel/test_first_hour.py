"""The first hour at the terminal: no dead ends offline, nothing left behind, clear records.

Each test names one thing a newcomer met: a refusal that is slow or leaves a folder, a replay
whose records cannot be found, a plan that is never shown, a loader that accepts a typo.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from agent_kernel.agent.definition import AgentDefinitionError, parse_agent
from agent_kernel.api.cassette import CassetteError, load_cassette
from agent_kernel.project.pytest_server import GRACE_ENV
from agent_kernel.terminal.cli import main
from agent_kernel.tools.permissions import accept_plan_prompt

PLAN = "Add a ping route in sandbox_app/api/routes/ping.py and its test."


@pytest.fixture
def cli(capsys, fake_checks):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """The temp folder every `mkdtemp` of this test uses, to see what is left in it."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def left_in(folder: Path, wait: float = 15.0) -> list[str]:
    """What is left in `folder` (pytest's own temp dirs aside), once servers had time to go."""
    deadline = time.monotonic() + wait
    while True:
        left = sorted(p.name for p in folder.iterdir() if not p.name.startswith("pytest-of-"))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def scripted(directory: Path, kit, prompts: list[tuple[str, list]], name: str) -> Path:
    data = {"source": "scripted", "model": kit.MODEL, "date": "2026-12-02"}
    data["prompts"] = [{"prompt": p, "turns": t} for p, t in prompts]
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def workbench_process(args: list[str], tmp: Path, cwd: Path) -> subprocess.CompletedProcess:
    # its own warm pytest server (in TMPDIR), gone a moment after the last test run
    env = {**os.environ, "TMPDIR": str(tmp), "ANTHROPIC_API_KEY": "", GRACE_ENV: "2"}
    command = [sys.executable, "-m", "agent_kernel.terminal.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


# -- refusals: fast, clear, and nothing made -----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "gpt-9"], "unknown model 'gpt-9'"),
        (["--mode", "replay", "--cassette", "missing.yaml"], "cassette not found"),
        ([], "replay needs a cassette"),
        (["--resume", "20990101-000000-abcdef"], "no session '20990101-000000-abcdef'"),
    ],
)
def test_a_refused_run_makes_no_workspace_and_does_not_import_the_sdk(argv, message, tmp_path):
    code = (
        "import sys\n"
        "from agent_kernel.terminal.cli import main\n"
        f"print('exit', main(['run', 'Add a ping route', *{argv!r}]))\n"
        "print('SDK', 'anthropic' in sys.modules)\n"
    )
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "ANTHROPIC_API_KEY": ""}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert "exit 2" in done.stdout, done.stderr
    assert message in done.stderr
    assert "SDK False" in done.stdout  # refused before the stack was imported
    assert list(tmp.iterdir()) == []  # and before any folder was made


def test_offline_without_a_cassette_points_at_the_demo_and_the_lessons(cli):
    code, _, err = cli("run", "Add a ping route")
    assert code == 2
    assert "workbench demo" in err
    assert "notebooks/cassettes" in err and "01_rest_design.yaml" in err


def test_the_auto_mode_line_is_said_once(cli, kit, script, tmp_path):
    cassette = script(kit.ping_turns())
    code, out, err = cli("run", kit.PROMPT, "--cassette", str(cassette), "--workspace", "ws")
    assert code == 0, err
    assert (out + err).count("No ANTHROPIC_API_KEY") == 1


# -- what a run prints -----------------------------------------------------------------------------


def test_run_prints_the_contract_checks_and_diff_as_demo_does(cli, kit, script):
    cassette = script(kit.ping_turns())
    args = ["run", kit.PROMPT, "--mode", "replay", "--cassette", str(cassette)]
    code, out, err = cli(*args, "--workspace", "ws")
    assert code == 0, err
    assert "== Execution Contract\nSurface and success:" in out
    assert "== Checks\nAcceptance checks:" in out
    assert "== Diff\ndiff --git a/sandbox_app/" in out
    assert "diff --git a/sandbox_app/api/routes/ping.py" in out

    code, quiet, err = cli(*args, "--workspace", "ws2", "--quiet")
    assert code == 0, err
    assert "== Execution Contract" not in quiet and "diff --git" not in quiet
    assert "PHR: " in quiet


def test_records_are_printed_as_paths_that_exist(cli, kit, script, tmp_path):
    cassette = script(kit.ping_turns())
    code, out, err = cli("run", kit.PROMPT, "--cassette", str(cassette), "--workspace", "ws")
    assert code == 0, err
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    # printed relative to where the command ran (the test's cwd), and there
    assert not Path(lines["trajectory"]).is_absolute()
    assert Path(lines["trajectory"]).is_file()
    phr = next(
        line.removeprefix("PHR: ")
        for line in out.splitlines()
        if line.startswith("PHR: ") and not line.startswith("PHR: stage")
    )
    assert Path(phr).is_file() and ".workbench/history/" in phr


def test_a_temp_workspace_is_removed_at_exit_unless_kept(kit, script, tmp_path, short_tmp):
    cassette = script(kit.ping_turns())
    tmp = short_tmp
    args = ["run", kit.PROMPT, "--mode", "replay", "--cassette", str(cassette)]

    done = workbench_process(args, tmp, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "temporary: removed when this command ends; --keep keeps it" in done.stdout
    assert "--resume" not in done.stdout  # nothing left to resume
    assert left_in(tmp) == []

    kept = workbench_process([*args, "--keep"], tmp, tmp_path)
    assert kept.returncode == 0, kept.stderr
    [name] = left_in(tmp)
    workspace = tmp / name
    assert workspace.name.startswith("workbench-")
    assert f"workspace: {workspace}" in kept.stdout  # absolute: not below where it ran
    assert "continue with --resume" in kept.stdout
    phr = next(
        line.removeprefix("PHR: ")
        for line in kept.stdout.splitlines()
        if line.startswith("PHR: ") and not line.startswith("PHR: stage")
    )
    assert (tmp_path / phr).is_file()


def test_a_workbench_removes_its_temp_workspace_at_exit_unless_keep(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    code = (
        "from agent_kernel.workbench import Workbench\n"
        "gone = Workbench(display=False)\n"
        "kept = Workbench(display=False, keep=True)\n"
        "later = Workbench(display=False)\n"
        "later.keep = True\n"
        f"named = Workbench(workspace={str(tmp_path / 'named')!r}, display=False)\n"
        "print(gone.workspace.root.is_dir(), gone.temporary, kept.temporary, named.temporary)\n"
        "print(kept.workspace.root.name, later.workspace.root.name)\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "True True False False"
    assert sorted(p.name for p in tmp.iterdir()) == sorted(second.split())
    assert (tmp_path / "named" / "sandbox_app").is_dir()


# -- plan mode and resuming ------------------------------------------------------------------------


def test_plan_mode_prints_the_plan_and_resume_accepts_it_from_its_own_cassette(
    cli, kit, cassettes, tmp_path
):
    plan_turns = [
        {"text": "Reading first.", "tool_calls": [kit.edit("view", "sandbox_app/api/router.py")]},
        {"text": "The change I propose.", "tool_calls": kit.PING_EDITS},
        kit.submit(artifact_summary=PLAN),
    ]
    path = scripted(
        cassettes,
        kit,
        [(kit.PROMPT, plan_turns), (accept_plan_prompt(PLAN), kit.ping_turns()[1:])],
        "plan",
    )
    code, out, err = cli(
        "run", kit.PROMPT, "--cassette", str(path), "--workspace", "ws",
        "--permission-mode", "plan",
    )  # fmt: skip
    assert code == 0, err
    assert f"== Plan (nothing was written)\n{PLAN}" in out
    assert "create sandbox_app/api/routes/ping.py (not written):" in out
    [session] = [line.split()[1] for line in out.splitlines() if line.startswith("session: ")]
    assert f"accept the plan: workbench run --resume {session} --accept-plan" in out
    assert not Path("ws/sandbox_app/api/routes/ping.py").exists()

    # no --cassette: the session's own one is replayed on
    code, out, err = cli("run", "--resume", session, "--accept-plan")
    assert code == 0, err
    assert "diff --git a/sandbox_app/api/routes/ping.py" in out
    assert Path("ws/sandbox_app/api/routes/ping.py").is_file()


def test_accept_plan_needs_a_session_that_planned(cli, kit, script):
    assert cli("run", "--accept-plan")[0] == 2
    cassette = script(kit.ping_turns())
    cli("run", kit.PROMPT, "--cassette", str(cassette), "--workspace", "ws")
    session = Path("ws/.workbench/trajectories").iterdir().__next__().stem
    code, _, err = cli("run", "--resume", session, "--accept-plan")
    assert code == 2 and "has no plan to accept" in err


# -- history and sessions say what they read -------------------------------------------------------


def test_history_list_says_what_it_read_and_where_replays_went(cli, tmp_path):
    code, out, _ = cli("history", "list", "--history", str(tmp_path / "h"))
    assert code == 0
    assert out.splitlines()[0] == f"history: {(tmp_path / 'h').resolve()} (0 PHRs)"
    code, out, _ = cli("history", "list")
    assert ".workbench/history/" in out  # where replays of scripted sessions write


def test_history_search_says_when_nothing_matches(cli, tmp_path):
    code, out, _ = cli("history", "search", "nothing-like-this", "--history", str(tmp_path))
    assert code == 1
    assert "no PHR in" in out and "'nothing-like-this'" in out


def test_sessions_filter_and_mark_scripted_costs_as_estimates(cli, kit, script, tmp_path):
    cassette = script(kit.ping_turns())
    for folder in ("ws1", "ws2"):
        assert cli("run", kit.PROMPT, "--cassette", str(cassette), "--workspace", folder)[0] == 0
    code, out, _ = cli("sessions")
    assert code == 0
    assert out.splitlines()[0].startswith(f"sessions in {tmp_path / 'state' / 'sessions'} for ")
    assert out.count("workspace: ") == 2
    assert "~$" in out and "~ an estimate: a scripted session" in out
    code, out, _ = cli("sessions", "--workspace", "ws1")
    assert out.count("workspace: ") == 1 and "ws1" in out and "ws2" not in out
    code, out, _ = cli("sessions", "--project", "no-such-project")
    assert "no saved sessions" in out
    code, out, _ = cli("sessions", "--all")
    assert out.count("workspace: ") == 2 and "every checkout" in out


# -- loaders that accepted nonsense ----------------------------------------------------------------


def test_a_cassette_with_an_unknown_key_names_file_line_and_key(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(
        "source: scripted\nmodel: m\nprompt: p\nturns:\n  - text: first\n"
        "  - text: second\n    tool_callz:\n      - name: run_tests\n",
        encoding="utf-8",
    )
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    message = str(caught.value)
    assert message.startswith("typo.yaml: line 7: unknown key `tool_callz` in turns[2]")
    assert "tool_calls" in message  # the key it knows there


def test_an_unknown_key_deep_in_a_conversation_is_found(tmp_path):
    path = tmp_path / "deep.yaml"
    data = {
        "source": "scripted",
        "model": "m",
        "prompts": [
            {"prompt": "a", "turns": [{"text": "x"}]},
            {"prompt": "b", "turns": [{"tool_calls": [{"name": "run_tests", "inptu": {}}]}]},
        ],
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(CassetteError, match=r"unknown key `inptu` in prompts\[2\]"):
        load_cassette(path)


def test_an_agent_file_with_an_unknown_key_names_line_and_key(tmp_path):
    text = "---\nname: a\ndescription: b\ntoolz: Read\n---\nbody\n"
    with pytest.raises(AgentDefinitionError, match=r"agent.md: line 4: unknown key `toolz`"):
        parse_agent(text, tmp_path / "agent.md")


def test_the_agent_files_model_goes_through_the_model_check(tmp_path):
    text = "---\nname: a\ndescription: b\nmodel: gpt-9\n---\nbody\n"
    with pytest.raises(AgentDefinitionError, match=r"line 4: model: unknown model 'gpt-9'"):
        parse_agent(text, tmp_path / "agent.md")
    assert parse_agent(text.replace("gpt-9", "opus")).model == "opus"


def test_a_configured_mcp_server_that_is_not_started_gets_a_line(workspace, tmp_path):
    from agent_kernel.agent.toolset import open_toolset

    workspace.source = tmp_path / "users-project"  # read from the user's tree, not the copy
    workspace.source.mkdir()
    (workspace.source / ".mcp.json").write_text(
        '{"mcpServers": {"docs": {"command": "python", "args": ["-c", "pass"]}}}',
        encoding="utf-8",
    )
    agent = parse_agent("---\nname: a\ndescription: b\ntools: Read\n---\nx\n")
    with open_toolset(agent, workspace) as toolset:
        assert toolset.hub is None
        [note] = toolset.notes
    assert "MCP server docs is configured but not started" in note
    assert "mcp__docs__*" in note


# -- inspect ------------------------------------------------------------------------------------


def test_inspect_of_a_package_with_relative_imports_names_the_package(kit):
    from agent_kernel.project.discovery import discover

    info = discover(kit.REPO / "sandbox_app")
    assert info.app_ref == "sandbox_app.main:app"  # `main:app` cannot import `from .api`
    assert info.import_root == kit.REPO
    assert "imports:   from ../ (relative, top-level package 'sandbox_app')" in info.describe()


def test_relative_imports_above_any_package_are_a_clear_error(tmp_path):
    from agent_kernel.project.discovery import DiscoveryError, discover

    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI\nfrom .api import router\napp = FastAPI()\n",
        encoding="utf-8",
    )
    with pytest.raises(DiscoveryError, match="uses relative imports"):
        discover(tmp_path)


def test_live_checks_over_workbench_mcp_log_no_line_per_request(workspace, tmp_path):
    import asyncio

    from mcp import ClientSession, StdioServerParameters, stdio_client

    workbench = str(Path(sys.executable).parent / "workbench")
    params = StdioServerParameters(command=workbench, args=["mcp"], cwd=str(workspace.root))
    log = tmp_path / "server.log"

    async def main() -> str:
        with log.open("w", encoding="utf-8") as errlog:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                result = await session.call_tool("live_check", {"path": "/api/health"})
        return "\n".join(block.text for block in result.content if block.type == "text")

    assert "status: 200" in asyncio.run(main())
    assert "HTTP Request" not in log.read_text(encoding="utf-8")


def test_a_follow_up_reports_the_files_it_changed_not_the_sessions(tmp_path, cassettes, kit):
    from agent_kernel.workbench import Workbench

    follow_up = "Now add a test that the ping route rejects POST."
    extra = kit.edit(
        "create", "tests/test_ping_post.py", file_text="def test_post():\n    assert True\n"
    )
    path = scripted(
        cassettes,
        kit,
        [
            (kit.PROMPT, kit.ping_turns()),
            (follow_up, [{"text": "One more test.", "tool_calls": [extra]}, kit.submit()]),
        ],
        "follow-up",
    )
    wb = Workbench(
        workspace=tmp_path / "ws", history=tmp_path / "h", mode="replay", cassette=path,
        display=False,
    )  # fmt: skip
    first = wb.run(kit.PROMPT)
    assert first.files_changed == kit.PING_FILES, first.reason
    second = wb.run(follow_up)
    assert second.status == "ok", second.reason
    assert second.files_changed == ["tests/test_ping_post.py"]
    assert "sandbox_app/api/routes/ping.py" in second.diff  # the diff is the workspace's


def test_no_prompt_replays_the_cassettes_own_and_resume_goes_on_with_the_next(cli, kit, cassettes):
    follow_up = "Now make the ping route answer HEAD requests too."
    view = kit.edit("view", "sandbox_app/api/routes/ping.py")
    path = scripted(
        cassettes,
        kit,
        [(kit.PROMPT, kit.ping_turns()), (follow_up, [{"tool_calls": [view]}, kit.submit()])],
        "two",
    )
    code, out, err = cli("run", "--cassette", str(path), "--workspace", "ws")
    assert code == 0, err
    assert "the prompt of two.yaml (prompt 1)" in err
    [session] = [line.split()[1] for line in out.splitlines() if line.startswith("session: ")]

    code, out, err = cli("run", "--resume", session)  # no prompt, no cassette
    assert code == 0, err
    assert "the prompt of two.yaml (prompt 2)" in err

    code, _, err = cli("run", "--resume", session)
    assert code == 2 and "all replayed; give a prompt" in err


def test_an_adr_hint_names_the_runs_own_history(tmp_path, script, kit, fake_checks):
    from agent_kernel.workbench import Workbench

    decision = {
        "title": "Stateless JWT access tokens",
        "choice": "JWT",
        "alternatives": ["server sessions"],
        "long_term_impact": True,
        "cross_cutting": True,
    }
    turns = [*kit.ping_turns()[:-1], kit.submit(decisions=[decision])]
    wb = Workbench(workspace=tmp_path / "ws", mode="replay", cassette=script(turns), display=False)
    result = wb.run(kit.PROMPT)
    own = wb.workspace.root / ".workbench" / "history"
    assert wb.history_dir == own  # a scripted replay keeps its records in its workspace
    [hint] = result.adr_suggestions
    assert f'`workbench adr new "Stateless JWT access tokens" --history {own}`' in hint
