"""Each escape an attacker found, tried again through the agent's own tool calls.

Every test replays a scripted session (authored tool calls, offline) against a real
workspace: the commands, test runs and servers it causes run for real, in the OS sandbox.
Each one failed before the sandbox and the policy existed.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from agent_kernel.agent.definition import parse_agent
from agent_kernel.agent.runner import run_agent
from agent_kernel.api.client import make_client
from agent_kernel.project.workspace import Workspace

AGENT = """---
name: attacker-probe
description: Runs whatever the scripted session says.
tools: Read, Edit, Write, Bash, mcp__workbench__run_tests, mcp__demo__*
---

Probe the workspace.
"""
EDITOR = "str_replace_based_edit_tool"


def command(*argv: str) -> dict:
    return {"name": "run_command", "input": {"argv": list(argv)}}


def create(path: str, text: str) -> dict:
    return {"name": EDITOR, "input": {"command": "create", "path": path, "file_text": text}}


def view(path: str) -> dict:
    return {"name": EDITOR, "input": {"command": "view", "path": path}}


def run_tests(target: str) -> dict:
    return {"name": "run_tests", "input": {"target": target}}


@pytest.fixture
def attack(script, workspace, history, fake_checks, kit):
    """Replay `calls` (one turn each) in `workspace`, then submit; the results by call."""

    def run(calls: list[dict], *, on: Workspace | None = None, **options) -> list[str]:
        turns = [{"tool_calls": [call]} for call in calls] + [kit.submit()]
        result = run_agent(
            kit.PROMPT,
            handle=make_client("replay", cassette=script(turns)),
            agent=parse_agent(AGENT),
            workspace=on or workspace,
            history_dir=history,
            **options,
        )
        outputs = [entry.output for entry in result.tool_trace if entry.name != "submit_result"]
        assert len(outputs) == len(calls), result.reason
        run.result = result  # type: ignore[attr-defined]
        return outputs

    return run


def users_project(workspace: Workspace, tmp_path: Path, pyproject: str = "") -> Path:
    source = tmp_path / "users-project"
    source.mkdir(exist_ok=True)
    (source / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    workspace.source = source
    return source


# -- options that run or write elsewhere ------------------------------------------------------


@pytest.mark.parametrize("mode", ["accept-edits", "plan", "ask"])
def test_git_grep_cannot_open_a_pager_that_runs_a_command(attack, workspace, tmp_path, mode):
    marker = tmp_path / "pwned"
    out = attack(
        [
            command("git", "grep", "--no-index", f"-Otouch {marker}", "-e", "def"),
            command("git", "grep", "--no-index", f"--open-files-in-pager=touch {marker}", "def"),
        ],
        permission_mode=mode,
    )
    assert all("refused: -O" in o or "refused: --open-files-in-pager" in o for o in out), out
    assert not marker.exists()


def test_options_that_write_or_read_elsewhere_are_refused(attack, workspace, tmp_path):
    target = tmp_path / "outside.txt"
    target.write_text("keep me\n")
    out = attack(
        [
            command("git", "diff", f"--output={target}"),
            command("git", "log", "--output", str(target)),
            command("pytest", f"--basetemp={tmp_path}"),
            command("python", "-m", "pytest", "-p", "evil_plugin"),
            command("ruff", "check", "--output-file", str(target), "."),
            command("ruff", "check", "--config", str(tmp_path / "ruff.toml"), "."),
            command("python", "-m", "pip", "show", f"--log={target}", "fastapi"),
            command("git", "-c", "core.pager=touch /tmp/x", "log"),
        ]
    )
    assert all(o.startswith("refused: ") for o in out), out
    assert target.read_text() == "keep me\n"


def test_reads_outside_the_workspace_find_nothing(attack, workspace, tmp_path):
    outside = tmp_path / "secrets-elsewhere"
    outside.mkdir()
    (outside / "notes.txt").write_text("CANARY-OUTSIDE-7731\n")
    out = attack(
        [
            command("grep", "-r", "CANARY-OUTSIDE", str(outside)),
            command("git", "diff", "--no-index", str(outside / "notes.txt"), "pytest.ini"),
            command("ruff", "check", str(outside)),
        ]
    )
    assert not any("CANARY-OUTSIDE-7731" in o for o in out), out
    assert "No such file or directory" in out[0]


# -- the policy comes from the user's project, never the workspace ----------------------------


def test_an_allowlist_written_into_the_workspace_changes_nothing(attack, workspace, tmp_path):
    users_project(workspace, tmp_path)  # the user's own pyproject.toml: no extra commands
    marker = tmp_path / "ran-sh"
    out = attack(
        [
            create("pyproject.toml", '[tool.workbench]\nextra-commands = ["sh"]\n'),
            command("sh", "-c", f"touch {marker}"),
        ]
    )
    assert out[0].startswith("Created pyproject.toml")
    assert "not on this project's command allowlist" in out[1]
    assert not marker.exists()


# -- what a test the agent writes can reach ---------------------------------------------------

PROBE = """
import json, os, socket, pathlib

def test_probe():
    seen = {"environ": [], "pids": []}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            seen["pids"].append(int(entry))
            try:
                seen["environ"].append(open(f"/proc/{entry}/environ", "rb").read().decode())
            except OSError:
                pass
    try:
        pathlib.Path(OUTSIDE).write_text("written from the sandbox")
        seen["outside"] = "written"
    except OSError as exc:
        seen["outside"] = str(exc)
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
        seen["network"] = "connected"
    except OSError as exc:
        seen["network"] = str(exc)
    seen["home"] = sorted(os.listdir(HOME)) if os.path.isdir(HOME) else []
    pathlib.Path("probe.json").write_text(json.dumps(seen))
"""


@pytest.fixture
def listener():
    """A TCP server on this machine's loopback, counting the connections it gets."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    data = conn.recv(100)
                except OSError:
                    data = b""
                accepted.append(data)
                if data:
                    conn.sendall(b"echo:" + data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    server.close()


def test_a_test_cannot_read_the_kernels_key_write_outside_or_reach_the_network(
    attack, workspace, tmp_path, monkeypatch, listener, kit
):
    key = kit.canary()
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    port, accepted = listener
    outside = tmp_path / "outside.txt"
    probe = PROBE.replace("OUTSIDE", repr(str(outside))).replace("PORT", str(port))
    probe = probe.replace("HOME", repr(str(Path.home())))
    attack([create("tests/test_probe.py", probe), run_tests("tests/test_probe.py")])

    seen = json.loads((workspace.root / "probe.json").read_text())
    assert key not in json.dumps(seen)
    assert os.getpid() not in seen["pids"] and max(seen["pids"]) < 10  # its own PID namespace
    # Written, if at all, into the sandbox's private /tmp, gone with it: never on the host.
    assert not outside.exists()
    assert seen["network"] != "connected" and accepted == []
    # The home folder shows at most the interpreter installed under it (pyenv), nothing else.
    interpreter = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    for name in seen["home"]:
        assert any(Path.home() / name in (i, *i.parents) for i in interpreter), name


def test_a_plain_test_run_is_contained_as_well(attack, workspace, tmp_path, monkeypatch, listener):
    monkeypatch.setenv("WORKBENCH_WARM_PYTEST", "0")  # under bubblewrap, not a warm fork
    port, accepted = listener
    outside = tmp_path / "outside.txt"
    probe = PROBE.replace("OUTSIDE", repr(str(outside))).replace("PORT", str(port))
    probe = probe.replace("HOME", repr(str(Path.home())))
    attack([create("tests/test_probe.py", probe), run_tests("tests/test_probe.py")])
    seen = json.loads((workspace.root / "probe.json").read_text())
    assert not outside.exists() and seen["network"] != "connected" and accepted == []
    assert max(seen["pids"]) < 10


def test_only_the_endpoints_the_user_allows_are_reachable(attack, workspace, tmp_path, listener):
    port, accepted = listener
    users_project(workspace, tmp_path, f'[tool.workbench.sandbox]\nallow = ["127.0.0.1:{port}"]\n')
    talk = (
        "import socket\n\ndef test_talk():\n"
        f"    with socket.create_connection(('127.0.0.1', {port}), timeout=5) as s:\n"
        "        s.sendall(b'ping')\n"
        "        assert s.recv(100) == b'echo:ping'\n"
    )
    out = attack([create("tests/test_talk.py", talk), run_tests("tests/test_talk.py")])
    assert "passed" in out[1], out[1]
    assert accepted == [b"ping"]


# -- the project's MCP servers ----------------------------------------------------------------


def mcp_project(workspace: Workspace, tmp_path: Path, marker: Path) -> Path:
    source = users_project(workspace, tmp_path)
    server = (
        "import pathlib, sys\n"
        f"pathlib.Path({str(marker)!r}).write_text('started')\n"
        "from mcp.server.mcpserver import MCPServer\n"
        "s = MCPServer('demo')\n"
        "@s.tool()\n"
        "def where() -> str:\n"
        "    import os\n"
        "    try:\n"
        "        open(os.environ['OUT'], 'w').write('x')\n"
        "    except OSError as exc:\n"
        "        return f'refused: {exc}'\n"
        "    pids = sorted(p for p in os.listdir('/proc') if p.isdigit())\n"
        "    return 'contained: ' + ' '.join(pids)\n"
        "s.run()\n"
    )
    (workspace.root / "demo_server.py").write_text(server)
    config = {
        "mcpServers": {
            "demo": {
                "command": sys.executable,
                "args": ["demo_server.py"],
                "env": {"OUT": str(tmp_path / "mcp-wrote")},
            }
        }
    }
    (source / ".mcp.json").write_text(json.dumps(config))
    return source


def test_a_projects_mcp_server_needs_approval_then_runs_sandboxed(attack, workspace, tmp_path):
    marker = tmp_path / "mcp-started"
    mcp_project(workspace, tmp_path, marker)
    call = {"name": "mcp__demo__where", "input": {}}

    attack([command("git", "status")])  # no approval: not started, one line says why
    assert not marker.exists()
    notices = attack.result.warnings if hasattr(attack.result, "warnings") else None
    trajectory = attack.result.trajectory_path.read_text()
    assert "need your approval first (--approve-mcp demo" in trajectory, notices

    out = attack([call], approve_mcp=["demo"])
    assert out[0].startswith("contained:"), out
    assert not (tmp_path / "mcp-wrote").exists()
    assert not marker.exists()  # the server's own write outside did not land either

    # Remembered for this project and config: the next run starts it without being told.
    out = attack([call])
    assert out[0].startswith("contained:"), out


def test_an_mcp_json_written_into_the_workspace_starts_nothing(attack, workspace, tmp_path):
    marker = tmp_path / "started"
    users_project(workspace, tmp_path)
    config = {"mcpServers": {"demo": {"command": "sh", "args": ["-c", f"touch {marker}"]}}}
    out = attack([create(".mcp.json", json.dumps(config))])
    assert "denied by the permission rule Edit(.mcp.json)" in out[0]
    (workspace.root / ".mcp.json").write_text(json.dumps(config))  # as if a test had written it
    attack([command("git", "status")])
    assert not marker.exists()


# -- secrets in the workspace -----------------------------------------------------------------


def test_env_files_are_neither_viewed_nor_grepped(attack, workspace):
    secret = "s3cr3t-value-" + "9" * 12
    (workspace.root / ".env").write_text(f"SECRET_KEY={secret}\n")
    (workspace.root / ".env.local").write_text(f"OTHER={secret}\n")
    out = attack([view(".env"), view(".env.local"), command("grep", "-r", "SECRET", ".")])
    assert "denied by the permission rule Read(.env)" in out[0]
    assert "denied by the permission rule Read(.env.*)" in out[1]
    assert secret not in out[2] and "SECRET_KEY" not in out[2]


def test_the_users_rules_deny_and_allow_in_claude_codes_form(attack, workspace, tmp_path):
    source = users_project(workspace, tmp_path)
    (source / ".claude").mkdir()
    rules = {"permissions": {"deny": ["Bash(git log:*)", "Edit(sandbox_app/core/**)"]}}
    (source / ".claude" / "settings.json").write_text(json.dumps(rules))
    out = attack(
        [
            command("git", "log", "-1"),
            create("sandbox_app/core/x.py", "x = 1\n"),
            create("sandbox_app/api/x.py", "x = 1\n"),
        ]
    )
    assert "denied by the permission rule Bash(git log:*)" in out[0]
    assert str(source / ".claude" / "settings.json") in out[0]
    assert "Edit(sandbox_app/core/**)" in out[1]
    assert out[2].startswith("Created")


# -- special files and links ------------------------------------------------------------------


def test_a_fifo_blocks_nothing(attack, workspace):
    maker = "import os\n\ndef test_fifo():\n    os.mkfifo('app_pipe')\n"
    started = time.monotonic()
    out = attack(
        [create("tests/test_fifo.py", maker), run_tests("tests/test_fifo.py"), view("app_pipe")]
    )
    assert "not a regular file" in out[2] or "cannot be read" in out[2]
    assert workspace.fingerprint() and "app_pipe" not in workspace.files()
    assert "b/app_pipe" not in workspace.diff()
    attack([view("pytest.ini")])  # a later run in the same workspace
    assert time.monotonic() - started < 60


def test_code_the_interpreter_runs_by_itself_stays_inside(
    attack, workspace, tmp_path, kit, monkeypatch
):
    """sitecustomize.py and a root conftest.py run in whatever starts Python or pytest there:
    only ever inside the sandbox."""
    key = kit.canary()
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    marker = tmp_path / "ran-outside"
    payload = (
        "import os, pathlib\n"
        "found = [open(f'/proc/{p}/environ', 'rb').read() for p in os.listdir('/proc')"
        " if p.isdigit()]\n"
        f"pathlib.Path({str(marker)!r}).write_text(repr(found))\n"
        "pathlib.Path('seen-by-' + os.path.basename(__file__)).write_text(repr(found))\n"
    )
    attack(
        [
            create("sitecustomize.py", payload),
            create("conftest.py", payload),
            command("python", "-m", "pip", "show", "fastapi"),
            run_tests("tests/"),
        ]
    )
    assert not marker.exists()
    seen = [p.read_text() for p in workspace.root.glob("seen-by-*")]
    assert seen and not any(key in text for text in seen)
