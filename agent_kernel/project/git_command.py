"""Every git command the workbench itself runs: a fixed environment, nothing run on the way.

The agent's worktree is a tree the agent writes, `.git` file included: a `gitdir:` pointing
elsewhere or a config with `core.fsmonitor = "cmd"` would make the kernel's own `git ls-files`
run that command. So each call gets a fixed environment (never the kernel's), fsmonitor,
hooks, pagers, editors and credential helpers switched off on the command line (diffs run
with `--no-ext-diff`), and, inside a worktree, an explicit `--git-dir` found from the user's
repository (its `worktrees/*/gitdir` records), never read from the worktree's `.git` file.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

HARDENING = (
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.pager=cat",
    "-c", "core.editor=false",
    "-c", "core.sshCommand=false",
    "-c", "credential.helper=",
    "-c", "protocol.file.allow=never",
    "--no-pager",
)  # fmt: skip
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME")


def git_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What git gets: the user's PATH, HOME (for their name and email) and locale; no GIT_*
    variable, key or token of the kernel's."""
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"})
    env.update(extra or {})
    return env


def worktree_git_dir(checkout: Path, toplevel: Path) -> Path | None:
    """The admin folder of the worktree at `checkout` in the repository at `toplevel`, found
    from the repository's own records (`.git/worktrees/<id>/gitdir` names the worktree)."""
    expected = (Path(checkout).resolve() / ".git").as_posix()
    records = Path(toplevel) / ".git" / "worktrees"
    if not records.is_dir():
        return None
    for admin in sorted(records.iterdir()):
        try:
            recorded = (admin / "gitdir").read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if Path(recorded).resolve().as_posix() == expected:
            return admin
    return None


def git_argv(
    args: Sequence[str], *, git_dir: Path | None = None, work_tree: Path | None = None
) -> list[str]:
    argv = ["git", *HARDENING]
    if git_dir is not None:
        argv.append(f"--git-dir={git_dir}")
    if work_tree is not None:
        argv.append(f"--work-tree={work_tree}")
    return [*argv, *args]


def run_git(
    cwd: Path,
    args: Sequence[str],
    *,
    git_dir: Path | None = None,
    work_tree: Path | None = None,
    env: Mapping[str, str] | None = None,
    text: bool = True,
    input: bytes | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    return subprocess.run(
        git_argv(args, git_dir=git_dir, work_tree=work_tree),
        cwd=cwd,
        capture_output=True,
        text=text,
        input=input,
        timeout=timeout,
        check=False,
        env=git_environment(env),
    )
