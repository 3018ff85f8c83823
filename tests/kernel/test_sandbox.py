"""The sandbox itself: its mount steps, its environment, and that a run's limits still hold
inside it (a timeout or Stop kills everything the run started, warm or plain)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import pytest

from agent_kernel.project.containment import policy_for
from agent_kernel.sandbox import bwrap
from agent_kernel.sandbox.bwrap import SandboxUnavailable, find_bwrap
from agent_kernel.tools.run_tests import run_pytest

HANG = (
    "import json, os, subprocess, sys, time\n\n"
    "def test_hang():\n"
    "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', 'TAG'])\n"
    "    open('hang.json', 'w').write(json.dumps({'child': child.pid, 'me': os.getpid()}))\n"
    "    time.sleep(600)\n"
)


@pytest.fixture(params=["warm", "plain"])
def how(request, monkeypatch):
    if request.param == "plain":
        monkeypatch.setenv("WORKBENCH_WARM_PYTEST", "0")
    return request.param


def test_the_workspace_is_writable_and_its_records_and_secrets_are_not(workspace):
    (workspace.root / ".env").write_text("A=1\n")
    assert not [
        s for s in policy_for(workspace, {}).layout() if s.kind == "mask" and ".env" in s.dest
    ]
    steps = policy_for(workspace, {}, hide_env_files=True).layout()  # the agent's commands
    kinds = {(s.kind, s.dest) for s in steps}
    root = str(workspace.root)
    assert ("rw", root) in kinds
    assert ("ro", f"{root}/.workbench") in kinds
    assert ("mask", f"{root}/.env") in kinds
    assert ("tmpfs", "/tmp") in kinds and ("proc", "/proc") in kinds
    order = [s.dest for s in steps]
    assert order.index("/tmp") < order.index(root) < order.index(f"{root}/.workbench")


def test_the_environment_is_built_from_an_allowlist(workspace, monkeypatch):
    monkeypatch.setenv("SOMETHING_OF_MINE", "kept out")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    env = dict(policy_for(workspace, {"EXTRA": "1"}).env)
    assert "SOMETHING_OF_MINE" not in env
    assert env["DATABASE_URL"] == "sqlite:///x.db" and env["EXTRA"] == "1"
    assert env["HOME"] == "/tmp/home" and env["PATH"].split(":")[0].endswith("bin")


def test_a_timeout_kills_the_sandboxed_run_and_what_it_started(workspace, how):
    tag = f"sandbox-hang-{uuid.uuid4().hex}"
    (workspace.root / "tests/test_hang.py").write_text(HANG.replace("TAG", tag))
    started = time.monotonic()
    run = run_pytest(workspace, "tests/test_hang.py", timeout=8)
    assert run.timed_out and run.exit_code is None
    assert time.monotonic() - started < 30
    pids = json.loads((workspace.root / "hang.json").read_text())
    assert pids["me"] < 10  # it ran in a PID namespace of its own, so its pids mean nothing here
    # Nothing of the run is left: its namespace went with it. Look for the sleeper by its
    # command line among this machine's processes (the kernel reaps a killed namespace
    # asynchronously: give it a few seconds).
    deadline = time.monotonic() + 10
    while alive(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(tag), "a process of the run is still alive"


def alive(tag: str) -> bool:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if tag.encode() in (proc / "cmdline").read_bytes():
                    return True
            except OSError:
                continue
    return False


def test_stop_kills_a_sandboxed_run_at_once(workspace, how):
    (workspace.root / "tests/test_hang.py").write_text(HANG)
    cancel = threading.Event()
    threading.Timer(3.0, cancel.set).start()
    started = time.monotonic()
    run = run_pytest(workspace, "tests/test_hang.py", timeout=600, cancel=cancel)
    assert run.stopped and time.monotonic() - started < 30


def test_bubblewraps_own_environment_holds_nothing_of_ours(workspace, monkeypatch, kit):
    from agent_kernel.project.containment import run_contained

    key = kit.canary()
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    code = "print(open('/proc/1/environ','rb').read().decode().replace(chr(0), ' '))"
    run = run_contained(workspace, ["python3", "-c", code], env={}, timeout=30)
    assert run.exit_code == 0, run.output
    assert key not in run.output and "ANTHROPIC" not in run.output
    assert "HOME=/tmp/home" in run.output


def test_no_sandbox_on_another_platform_is_a_clear_refusal(monkeypatch):
    monkeypatch.setattr(bwrap.sys, "platform", "darwin")
    with pytest.raises(SandboxUnavailable, match=r"needs Linux.*--sandbox off"):
        find_bwrap()
