"""run_bounded: a subprocess that never outlives its limit, its cancel, or its caller."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_kernel.project import bounded_process
from agent_kernel.project.bounded_process import run_bounded

SLEEPER = [sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(600)"]


def test_an_interrupted_caller_takes_the_process_group_with_it(tmp_path, monkeypatch):
    pid_file = tmp_path / "pid"
    command = [
        sys.executable,
        "-c",
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)",
    ]
    real_wait = subprocess.Popen.wait

    def interrupted_wait(self, timeout=None):
        if pid_file.exists() and timeout is not None:
            raise KeyboardInterrupt  # as Ctrl-C would, while waiting
        return real_wait(self, timeout=timeout)

    monkeypatch.setattr(subprocess.Popen, "wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        run_bounded(command, cwd=tmp_path, env=dict(os.environ), timeout=300)

    pid = int(pid_file.read_text())
    assert not Path(f"/proc/{pid}").exists() or _zombie(pid)


def test_the_time_limit_still_holds_while_cancel_is_watched(tmp_path, monkeypatch):
    monkeypatch.setattr(bounded_process, "CANCEL_POLL", 0.05)
    started = time.monotonic()
    run = run_bounded(SLEEPER, cwd=tmp_path, env=dict(os.environ), timeout=1)

    assert run.timed_out and not run.cancelled and run.exit_code is None
    assert time.monotonic() - started < 5
    assert run.output.strip().isdigit()  # what it printed before it was killed


def _zombie(pid: int) -> bool:
    state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return state in ("Z", "X")
