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
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OUTPUT_CAP = 16_000


def cap_output(text: str, limit: int = OUTPUT_CAP) -> str:
    """Keep the head and tail of long output so the model sees both ends."""
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - limit
    return f"{text[:half]}\n... [{cut} characters cut] ...\n{text[-half:]}"


@dataclass
class BoundedRun:
    exit_code: int | None  # None when the time limit or a cancel killed it
    timed_out: bool
    output: str
    duration: float
    cancelled: bool = False  # `cancel` was set: the caller stopped it


CANCEL_POLL = 0.1  # seconds between looks at `cancel` while waiting


def run_bounded(
    command: Sequence[str],
    *,
    cwd: Path | str,
    env: Mapping[str, str],
    timeout: float,
    cancel: threading.Event | None = None,
) -> BoundedRun:
    """Run `command` in its own session; past `timeout`, or once `cancel` is set, kill its group.

    Raises OSError when the command cannot be started at all.
    """
    started = time.monotonic()
    deadline = started + timeout
    timed_out = cancelled = False
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
            while process.poll() is None:
                if cancel is not None and cancel.is_set():
                    cancelled = True
                elif time.monotonic() >= deadline:
                    timed_out = True
                else:
                    left = max(0.0, deadline - time.monotonic())
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=min(CANCEL_POLL, left))
                    continue
                _kill_group(process)
        except BaseException:  # Ctrl-C or a kernel interrupt: the run goes with its caller
            _kill_group(process)
            raise
        duration = time.monotonic() - started
        sink.seek(0)
        output = sink.read().decode("utf-8", errors="replace")
    killed = timed_out or cancelled
    return BoundedRun(
        None if killed else process.returncode, timed_out, output, duration, cancelled
    )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
