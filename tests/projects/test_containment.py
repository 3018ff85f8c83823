"""A project's worktree under attack: its `.git`, links out of it, and no sandbox at all.

The agent writes through its tools only (a scripted session); what the kernel then does with
the tree (list, diff, apply, branch) must run nothing the agent planted and copy nothing from
outside the workspace.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from agent_kernel import Workbench
from agent_kernel.project.checkout import ProjectError

EDITOR = "str_replace_based_edit_tool"
CONTRACT = {
    "surface_and_success": "Nothing: a probe.",
    "constraints": [],
    "invariants": [],
    "non_goals": [],
    "artifact_summary": "A probe test.",
    "acceptance_checks": [],
    "follow_ups_and_risks": [],
    "decisions": [],
    "phr": {"stage": "misc", "feature": "notes", "title": "Probe the worktree"},
}


def session(path: Path, prompt: str, calls: list[dict]) -> Path:
    turns = [{"tool_calls": [call]} for call in calls]
    turns.append({"tool_calls": [{"name": "submit_result", "input": CONTRACT}]})
    data = {"source": "scripted", "model": "claude-sonnet-5-5", "date": "2026-12-03"}
    data.update({"title": "probe", "prompt": prompt, "turns": turns})
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_test_file(name: str, body: str) -> list[dict]:
    create = {"command": "create", "path": f"tests/{name}", "file_text": body}
    return [
        {"name": EDITOR, "input": create},
        {"name": "run_tests", "input": {"target": f"tests/{name}"}},
    ]


def workbench(notes: Path, tmp_path: Path, calls: list[dict], **options) -> Workbench:
    prompt = "Probe the worktree."
    return Workbench(
        project=notes,
        workspace=tmp_path / "ws",
        history=tmp_path / "history",
        mode="replay",
        cassette=session(tmp_path / "probe.yaml", prompt, calls),
        display=False,
        **options,
    )


EVIL_GIT = """
import os, pathlib

def test_plant():
    evil = pathlib.Path("{evil}")
    evil.mkdir(parents=True, exist_ok=True)
    os.system(f"git init -q {{evil}}")
    (evil / ".git" / "config").write_text(
        '[core]\\n\\trepositoryformatversion = 0\\n\\tfsmonitor = "touch {marker}"\\n'
    )
    top = pathlib.Path(os.getcwd())
    while not (top / ".git").exists():
        top = top.parent
    try:
        (top / ".git").write_text("gitdir: {evil}/.git\\n")
        pathlib.Path("plant-result.txt").write_text("PLANTED")
    except OSError as exc:
        pathlib.Path("plant-result.txt").write_text(f"REFUSED {{exc}}")
"""


@pytest.mark.parametrize("sandbox", ["on", "off"])
def test_a_planted_git_dir_runs_nothing_in_the_kernel(notes, tmp_path, sandbox):
    marker = tmp_path / "fsmonitor-ran"
    evil = tmp_path / "ws" / "evil"
    probe = EVIL_GIT.format(evil=evil, marker=marker)
    wb = workbench(notes, tmp_path, run_test_file("test_plant.py", probe), sandbox=sandbox)
    result = wb.run("Probe the worktree.")
    planted = (wb.workspace.root / "plant-result.txt").read_text()
    if sandbox == "on":  # the worktree's .git is read-only inside the sandbox
        assert planted.startswith("REFUSED") and "Read-only file system" in planted
    else:  # written: the kernel's git must not trust it
        assert planted == "PLANTED", result.reason
    wb.workspace.files()
    wb.diff()
    wb.workspace.fingerprint()
    assert not marker.exists(), "the kernel's own git ran the planted fsmonitor"
    if sandbox == "off":  # the plant is live: a plain git in that tree runs it
        subprocess.run(["git", "status"], cwd=wb.workspace.root, capture_output=True, check=False)
        assert marker.exists()


LINK_OUT = """
import os

def test_link():
    os.symlink("{secret}", "app/export.txt")
    os.symlink("core/config.py", "app/alias.py")
"""


def test_apply_never_follows_a_link_out_of_the_workspace(notes, tmp_path):
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("TOP-SECRET-CONTENT\n")
    wb = workbench(notes, tmp_path, run_test_file("test_link.py", LINK_OUT.format(secret=secret)))
    wb.run("Probe the worktree.")
    assert (wb.workspace.root / "app" / "export.txt").is_symlink()
    with pytest.raises(ProjectError, match=r"app/export.txt .*symlink to .*outside the workspace"):
        wb.workspace.apply()
    assert not (notes / "app" / "export.txt").exists()  # nothing written at all
    assert not (notes / "app" / "alias.py").exists()
    (wb.workspace.root / "app" / "export.txt").unlink()
    applied = wb.workspace.apply()
    assert (notes / "app" / "alias.py").is_symlink()  # a link inside is applied as a link
    assert os.readlink(notes / "app" / "alias.py") == "core/config.py"
    assert any("alias.py" in line for line in applied)
    assert "TOP-SECRET-CONTENT" not in json.dumps(applied)


def test_without_a_sandbox_the_agents_processes_are_refused_with_the_way_out(
    notes, tmp_path, monkeypatch
):
    broken = tmp_path / "bwrap"
    broken.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n"
    )
    broken.chmod(0o755)
    monkeypatch.setenv("WORKBENCH_BWRAP", str(broken))  # a kernel without user namespaces
    calls = [{"name": "run_command", "input": {"argv": ["git", "status"]}}]
    calls += run_test_file("test_ok.py", "def test_ok():\n    pass\n")
    wb = workbench(notes, tmp_path, calls)
    result = wb.run("Probe the worktree.")
    outputs = [t.output for t in result.tool_trace if t.name in ("run_command", "run_tests")]
    assert len(outputs) == 2
    for output in outputs:
        assert "cannot start a sandbox here" in output
        assert "No permissions to create new namespace" in output
        assert "--sandbox off" in output and "Workbench(sandbox='off')" in output


def test_sandbox_off_warns_on_every_run(notes, tmp_path):
    calls = run_test_file("test_ok.py", "def test_ok():\n    pass\n")
    wb = workbench(notes, tmp_path, calls, sandbox="off")
    result = wb.run("Probe the worktree.")
    trajectory = result.trajectory_path.read_text(encoding="utf-8")
    assert "the OS sandbox is off" in trajectory
    assert "passed" in next(t.output for t in result.tool_trace if t.name == "run_tests")


def test_an_unknown_sandbox_mode_is_a_clear_error(notes, tmp_path):
    with pytest.raises(ValueError, match="unknown sandbox mode 'maybe': choose on or off"):
        workbench(notes, tmp_path, [], sandbox="maybe")


SERVER = """
from mcp.server.mcpserver import MCPServer

server = MCPServer("docs")


@server.tool()
def where() -> str:
    import os
    return "pids " + " ".join(sorted(p for p in os.listdir("/proc") if p.isdigit()))


server.run()
"""


@pytest.mark.parametrize("approved", [True, False])
def test_the_person_who_approves_edits_is_asked_about_a_projects_server(
    notes, tmp_path, approved, monkeypatch
):
    import sys

    from agent_kernel.tools.permissions import Approval

    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(tmp_path / "state"))
    (notes / "docs_server.py").write_text(SERVER)
    config = {"mcpServers": {"docs": {"command": sys.executable, "args": ["docs_server.py"]}}}
    (notes / ".mcp.json").write_text(json.dumps(config))
    asked = []

    def person(proposal):
        asked.append(proposal)
        return Approval(approved, "" if approved else "not today")

    wb = workbench(notes, tmp_path, [{"name": "mcp__docs__where", "input": {}}])
    wb.start("Probe the worktree.", approver=person).join(120)
    result = wb.last_result
    assert [p.command for p in asked] == ["start MCP server"] and asked[0].path == "docs"
    output = next(t.output for t in result.tool_trace if t.name == "mcp__docs__where")
    if approved:  # started, in a PID namespace of its own
        assert output.startswith("pids ") and max(map(int, output.split()[1:])) < 10, output
    else:
        assert "pids" not in output


def test_a_live_check_runs_sandboxed_and_its_process_is_signalled_by_its_real_pid(
    make_project, tmp_path
):
    outside = tmp_path / "written-by-the-app"
    app = (
        "import os\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/where")\ndef where() -> dict:\n'
        "    try:\n"
        f"        open({str(outside)!r}, 'w').write('x')\n"
        "    except OSError:\n"
        "        pass\n"
        "    return {'pid': os.getpid(), 'home': os.environ.get('HOME')}\n"
    )
    root = make_project({"main.py": app})
    wb = Workbench(project=root, workspace=tmp_path / "ws", display=False)
    client = wb.client()
    seen = client.get("/where").json()
    pid = client.hosted.pid  # what the kernel would signal to stop it
    assert seen["pid"] == 1 and seen["home"] == "/tmp/home"  # inside its own namespace
    assert pid > 1 and Path(f"/proc/{pid}").exists()
    wb.close()
    assert not outside.exists()
