"""A subprocess with a time limit that is really kept: its whole process group is killed.

Output goes to a file, not a pipe, so a killed group can never leave a reader blocked.
Used for the workspace's tests and for the eval suite's hidden checks alike.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class BoundedRun:
    exit_code: int | None  # None when the time limit killed it
    timed_out: bool
    output: str
    duration: float


def run_bounded(
    command: Sequence[str], *, cwd: Path | str, env: Mapping[str, str], timeout: float
) -> BoundedRun:
    """Run `command` in its own session; past `timeout`, kill its process group.

    Raises OSError when the command cannot be started at all.
    """
    started = time.monotonic()
    timed_out = False
    with tempfile.TemporaryFile() as sink:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        duration = time.monotonic() - started
        sink.seek(0)
        output = sink.read().decode("utf-8", errors="replace")
    return BoundedRun(None if timed_out else process.returncode, timed_out, output, duration)
