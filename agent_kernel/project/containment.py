"""How the agent's processes are contained in a workspace: the sandbox policy, and running.

Every process the agent causes (its commands, its test runs, the acceptance checks, a
project's MCP servers) starts through here: in the OS sandbox (`agent_kernel.sandbox`) with
the workspace as its only writable tree, the workbench's records read-only (and, for its
commands, `.env` files shown empty), an environment built from an allowlist plus the
project's declared settings, and only the project's database and `[tool.workbench]
sandbox.allow` endpoints reachable.
A database the project names on disk (an absolute SQLite path) is writable too.
`sandbox="off"` (`WORKBENCH_SANDBOX=off`, `--sandbox off`) runs them as plain processes of
the caller, with the scrubbed environment of `safe_env`; the front ends warn on every run.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..sandbox.bwrap import SandboxUnavailable
from ..sandbox.launch import Launch, launched
from ..sandbox.policy import Endpoint, Policy, sandbox_environment
from .bounded_process import BoundedRun, run_bounded
from .discovery import DATABASE_KEYS
from .project_policy import ProjectPolicy, database_endpoint, read_policy, sqlite_folder
from .safe_env import safe_environment

if TYPE_CHECKING:
    from .workspace import Workspace

SANDBOX_ENV = "WORKBENCH_SANDBOX"
SANDBOX_MODES = ("on", "off")
OFF_WARNING = (
    "the OS sandbox is off: the agent's commands, tests and servers run with your user's "
    "full access to files, processes and the network"
)
ENV_FILE_NAMES = (".env",)
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".workbench"})
# The workbench's own switches that a sandboxed test run honours.
WORKBENCH_SWITCHES = ("WORKBENCH_PIN_TEST_RUNS",)


class SandboxModeError(ValueError):
    """An unknown sandbox mode, named with the choices."""


def check_sandbox_mode(mode: str | None) -> str:
    value = (mode or os.environ.get(SANDBOX_ENV) or "on").strip().lower()
    if value not in SANDBOX_MODES:
        raise SandboxModeError(f"unknown sandbox mode {value!r}: choose on or off")
    return value


def sandbox_mode(workspace: Workspace) -> str:
    return check_sandbox_mode(workspace.sandbox_mode)


def policy_root(workspace: Workspace) -> Path | None:
    """Where the rules come from: the user's own project, never the agent's copy."""
    return workspace.source


def project_policy(workspace: Workspace) -> ProjectPolicy:
    return read_policy(policy_root(workspace))


def env_files(root: Path) -> list[Path]:
    """Every `.env` / `.env.*` file in the tree (hidden from sandboxed processes)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        found += [
            Path(dirpath) / name
            for name in filenames
            if name in ENV_FILE_NAMES or name.startswith(".env.")
        ]
    return found


def declared_settings(workspace: Workspace, rules: ProjectPolicy) -> dict[str, str]:
    """The variables of ours the project declares it reads: its database URL names and the
    names `[tool.workbench] sandbox.env` lists."""
    names = (*DATABASE_KEYS, *rules.settings, *WORKBENCH_SWITCHES)
    return {name: os.environ[name] for name in names if name in os.environ}


def writable_roots(workspace: Workspace) -> tuple[Path, ...]:
    return (Path(getattr(workspace, "checkout_dir", workspace.root)),)


def read_only_extras(workspace: Workspace) -> tuple[Path, ...]:
    """What a project's processes need besides the workbench's interpreter: the project's own
    interpreter (its venv and the installation it was made from) and, in a worktree, the
    repository's git folder for git; all read-only."""
    found: list[Path] = []
    python = getattr(workspace, "python", None)
    if python:
        found += interpreter_roots(Path(python))
    git = getattr(workspace, "git", None)
    if git and git.get("toplevel"):
        common = Path(git["toplevel"]) / ".git"
        if common.is_dir():
            found.append(common)
    return tuple(found)


def interpreter_roots(python: Path) -> list[Path]:
    """The venv an interpreter sits in and the installation behind it (`pyvenv.cfg`'s home,
    and where its binary really lives)."""
    roots = [python.resolve().parent.parent]
    venv = python.parent.parent
    config = venv / "pyvenv.cfg"
    if config.is_file():
        roots.append(venv)
        for line in config.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                roots.append(Path(value.strip()).resolve().parent)
    return roots


def policy_for(
    workspace: Workspace,
    env: Mapping[str, str],
    *,
    exchange: Sequence[Path] = (),
    hide_env_files: bool = False,
) -> Policy:
    """The sandbox of a process in `workspace` whose own variables are `env`.

    `hide_env_files` shows every `.env` file empty: for the agent's commands (`grep -r`),
    not for its tests or the app, which read their settings where the project keeps them.
    """
    from .workspace import META_DIR

    rules = project_policy(workspace)
    python = getattr(workspace, "python", None)
    bin_dir = str(Path(python).parent) if python else None
    full_env = sandbox_environment({**declared_settings(workspace, rules), **env}, bin_dir)
    endpoints = {Endpoint(host, port) for host, port in rules.allow}
    folders = list(exchange)
    for key in DATABASE_KEYS:
        found = database_endpoint(full_env.get(key))
        if found:
            endpoints.add(Endpoint(*found))
        folder = sqlite_folder(full_env.get(key))
        if folder is not None and folder.is_dir():
            folders.append(folder)
    roots = writable_roots(workspace)
    protected = [workspace.root / META_DIR]
    protected += [root / ".git" for root in roots if (root / ".git").exists()]
    return Policy(
        writable=roots,
        env=full_env,
        read_only=read_only_extras(workspace),
        protected=tuple(protected),
        masked=tuple(f for root in roots for f in env_files(root)) if hide_env_files else (),
        endpoints=tuple(sorted(endpoints, key=str)),
        exchange=tuple(folders),
    )


@contextlib.contextmanager
def contained(
    workspace: Workspace,
    env: Mapping[str, str],
    *,
    exchange: Sequence[Path] = (),
    hide_env_files: bool = False,
) -> Iterator[Launch | None]:
    """The launch of one sandboxed process (None when the sandbox is off).

    Raises SandboxUnavailable (the message says why and how to opt out) where none can start.
    """
    if sandbox_mode(workspace) == "off":
        yield None
        return
    policy = policy_for(workspace, env, exchange=exchange, hide_env_files=hide_env_files)
    with launched(policy) as launch:
        yield launch


def plain_environment(workspace: Workspace, env: Mapping[str, str]) -> dict[str, str]:
    """With the sandbox off: the caller's environment less credentials, plus `env`."""
    return {**safe_environment(str(workspace.root)), **env}


def run_contained(
    workspace: Workspace,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    timeout: float,
    cwd: Path | str | None = None,
    cancel: threading.Event | None = None,
    hide_env_files: bool = False,
) -> BoundedRun:
    """`argv` in the workspace's sandbox, bounded like every run (OSError: could not start)."""
    where = str(cwd or workspace.root)
    with contained(workspace, env, hide_env_files=hide_env_files) as launch:
        if launch is None:
            return run_bounded(
                argv,
                cwd=where,
                env=plain_environment(workspace, env),
                timeout=timeout,
                cancel=cancel,
            )
        command = launch.command(argv, cwd=where)
        return run_bounded(command, cwd=where, env=launch.env, timeout=timeout, cancel=cancel)


__all__ = [
    "OFF_WARNING",
    "SandboxUnavailable",
    "check_sandbox_mode",
    "contained",
    "policy_for",
    "run_contained",
    "sandbox_mode",
]
