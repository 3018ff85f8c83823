"""Nothing left behind: who owns a workbench copy, and removing the ones nobody owns.

A project's private copy is a `git worktree` registered in the user's repository; left
behind, it shows in their `git worktree list` and keeps its branch's objects alive. Each
temporary copy records its owner (pid and start time, so a reused pid is not mistaken for
it) in the worktree's own admin folder inside `.git/worktrees/`, which git ignores. A copy
whose owner is gone is stale: it is pruned the next time the project is opened, and
`workbench clean` lists and removes every stale copy and temporary workspace.

A leaf of the `project` layer: the standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .git_command import run_git

OWNER_FILE = "workbench-owner.json"
UNOWNED_GRACE = 3600.0  # seconds an unowned leftover (an older workbench's) must be untouched
PROJECT_PREFIX = "workbench-project-"
BASELINE_PREFIX = "workbench-"
META = ".workbench"


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, starttime


def owner_mark() -> dict[str, object]:
    """This process, as an owner record."""
    return {"pid": os.getpid(), "start": _start_time(os.getpid())}


def owner_alive(mark: dict | None) -> bool:
    """Whether the process a record names is still running (the same process, not a reuse)."""
    if not mark or not mark.get("pid"):
        return False
    pid = int(mark["pid"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = _start_time(pid)
    return mark.get("start") is None or started is None or started == mark.get("start")


def _git(cwd: Path | str, *args: str) -> str | None:
    try:
        done = run_git(Path(cwd), args, timeout=60)  # hardened: nothing a tree planted runs
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def admin_dir(checkout: Path) -> Path | None:
    """The worktree's folder inside the repository's `.git/worktrees/`."""
    out = _git(checkout, "rev-parse", "--absolute-git-dir")
    return Path(out.strip()) if out else None


def mark_worktree(checkout: Path, temp: bool) -> None:
    """Record this process as the owner of the worktree at `checkout`."""
    folder = admin_dir(checkout)
    if folder is not None and folder.is_dir():
        record = {**owner_mark(), "checkout": str(checkout), "temp": temp}
        (folder / OWNER_FILE).write_text(json.dumps(record), encoding="utf-8")


@dataclass
class Leftover:
    """A copy or workspace the workbench made, and whether its owner still runs."""

    path: Path
    kind: str  # "worktree" or "workspace"
    repository: str | None = None
    owner: dict | None = None

    @property
    def in_use(self) -> bool:
        """Its owner runs; or, with no owner recorded (an older workbench's), it was touched
        within the last hour, so it may be in use."""
        if self.owner:
            return owner_alive(self.owner)
        return self.idle_seconds() < UNOWNED_GRACE

    def idle_seconds(self) -> float:
        import time

        stamps = []
        for path in (self.path, self.path / META):
            with contextlib.suppress(OSError):
                stamps.append(path.stat().st_mtime)
        return time.time() - max(stamps) if stamps else float("inf")

    @property
    def named(self) -> bool:
        """A workspace the user named (`workspace=`): kept until they remove it."""
        return bool(self.owner) and self.owner.get("temp") is False

    @property
    def removable(self) -> bool:
        return not self.in_use and not self.named

    def describe(self) -> str:
        where = f" of {self.repository}" if self.repository else ""
        if self.in_use and self.owner:
            state = f"in use by pid {self.owner['pid']}"
        elif self.in_use:
            state = "no owner recorded, used within the hour: kept"
        elif self.named:
            state = "a workspace named by its user: kept"
        else:
            state = "stale"
        return f"{self.kind}{where}: {self.path} ({state})"

    def remove(self) -> None:
        if self.kind == "worktree" and self.repository:
            _git(self.repository, "worktree", "remove", "--force", str(self.path))
        shutil.rmtree(self.path, ignore_errors=True)
        if self.repository:
            _git(self.repository, "worktree", "prune")


def repository_worktrees(top: Path) -> list[Leftover]:
    """The workbench's worktrees registered in the repository at `top`."""
    found = []
    common = _git(top, "rev-parse", "--git-common-dir")
    if common is None:
        return found
    base = Path(common.strip())
    base = base if base.is_absolute() else (top / base)
    for record in sorted((base / "worktrees").glob(f"*/{OWNER_FILE}")):
        with contextlib.suppress(OSError, ValueError):
            owner = json.loads(record.read_text(encoding="utf-8"))
            found.append(Leftover(Path(owner["checkout"]), "worktree", str(top), owner))
    return found


def prune_stale(top: Path) -> list[Path]:
    """Remove this repository's workbench worktrees whose owner is gone; their paths."""
    removed = []
    for leftover in repository_worktrees(top):
        if leftover.owner and leftover.owner.get("temp") and not leftover.in_use:
            leftover.remove()
            removed.append(leftover.path)
    if removed or _git(top, "worktree", "list") is not None:
        _git(top, "worktree", "prune")  # registrations whose folder is gone
    return removed


def mark_workspace(root: Path) -> None:
    """Record this process as the owner of the temporary workspace at `root`."""
    folder = root / META
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "owner.json").write_text(json.dumps({**owner_mark(), "temp": True}), "utf-8")


def temp_leftovers(base: Path | None = None) -> list[Leftover]:
    """The temporary project copies and workspaces in the temp folder."""
    base = base or Path(tempfile.gettempdir())
    found: list[Leftover] = []
    for path in sorted(base.glob(f"{BASELINE_PREFIX}*")):
        if not path.is_dir() or path.is_symlink():
            continue
        if path.name.startswith(PROJECT_PREFIX):
            found.append(_project_leftover(path))
        elif (path / META).is_dir():
            owner = None
            with contextlib.suppress(OSError, ValueError):
                owner = json.loads((path / META / "owner.json").read_text(encoding="utf-8"))
            found.append(Leftover(path, "workspace", None, owner))
    return found


def _project_leftover(path: Path) -> Leftover:
    """A project copy: its repository and owner from the worktree's record, if it has one."""
    for state in [path / META / "project.json", *path.glob(f"*/{META}/project.json")]:
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(state.read_text(encoding="utf-8"))
            git = data.get("git") or {}
            owner = data.get("owner")
            return Leftover(path, "worktree" if git else "workspace", git.get("toplevel"), owner)
    return Leftover(path, "workspace", None, None)


def clean(dry_run: bool = False) -> list[Leftover]:
    """Remove every stale copy and temporary workspace (none when `dry_run`); those found."""
    found = temp_leftovers()
    seen = {leftover.path for leftover in found}
    for repository in {lo.repository for lo in found if lo.repository}:
        for leftover in repository_worktrees(Path(repository)):
            if leftover.path not in seen:
                found.append(leftover)
                seen.add(leftover.path)
    if not dry_run:
        for leftover in found:
            if leftover.removable:
                leftover.remove()
    return found
