"""One pytest run in a workspace: isolated, bounded, without secrets, warm when it can be.

`run_tests`, `Workbench.pytest()` and the eval harness all run pytest through
`run_pytest_args`, so every run of the agent's tests gets the same guarantees: a process of its
own (forked from the warm server in `pytest_server`, or plain), rooted at the workspace, killed
as a whole group past its time limit or on Stop, in an environment stripped of API keys,
tokens and passwords. May import: the rest of `project/`, and nothing above it.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .bounded_process import OUTPUT_CAP, cap_output
from .containment import contained, plain_environment
from .pytest_server import run_pytest_process

if TYPE_CHECKING:
    from .workspace import Workspace

# Plugins of the workbench's own environment that app tests never use: nbval alone costs
# seconds of start-up (nbformat, jsonschema) on every run.
SKIPPED_PLUGINS = ("-p", "no:nbval")
# A tiny pytest plugin (in pytest_plugins/ here) that writes each outcome by node id.
PLUGIN_DIR = Path(__file__).resolve().parent / "pytest_plugins"
OUTCOMES_PLUGIN = "workbench_outcomes"
OUTCOMES_ENV = "WORKBENCH_OUTCOMES_FILE"
SUMMARY_LINE = re.compile(r"\b\d+ (passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)")


@dataclass
class TestRun:
    """The outcome of one pytest run in the workspace."""

    __test__ = False  # not a pytest test class, despite the name

    passed: bool
    exit_code: int | None
    timed_out: bool
    output: str
    duration: float
    counts: dict[str, int] = field(default_factory=dict)
    stopped: bool = False  # killed because the run was stopped

    def header(self) -> str:
        """One line: outcome, counts and time, as the model and the CLI see it."""
        counts = ", ".join(f"{n} {kind}" for kind, n in self.counts.items())
        if self.stopped:
            state = "stopped"
        elif self.timed_out:
            state = "timed out"
        elif self.passed:
            state = "passed"
        elif self.exit_code == 5:
            state = "failed (no tests collected)"
        else:
            state = f"failed (exit code {self.exit_code})"
        detail = f": {counts}" if counts else ""
        return f"{state}{detail} in {self.duration:.1f}s"


def read_outcomes(path: Path) -> dict[str, str] | None:
    """The outcomes plugin's file: node id -> outcome; None when it was not written."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def parse_counts(output: str) -> dict[str, int]:
    """The counts from pytest's final summary line ('2 passed, 1 failed in 0.3s')."""
    for line in reversed(output.splitlines()):
        if SUMMARY_LINE.search(line):
            counts: dict[str, int] = {}
            for number, kind in COUNT.findall(line):
                kind = {"error": "errors", "warning": "warnings"}.get(kind, kind)
                counts[kind] = int(number)
            return counts
    return {}


def run_pytest_args(
    workspace: Workspace,
    args: Sequence[str] = (),
    *,
    timeout: float = 120.0,
    cap: int = OUTPUT_CAP,
    outcomes: Path | None = None,
    cancel: threading.Event | None = None,
    extra_env: dict[str, str] | None = None,
    writable: Sequence[Path] = (),
    cwd: str | Path | None = None,
) -> TestRun:
    """pytest with any arguments (options too) in the workspace, isolated as `run_tests` is.

    `extra_env` adds variables to the run's environment (e.g. pytest's own switches);
    `writable` adds folders the sandboxed run may write besides the workspace's files.
    It runs in `cwd` (relative to the workspace), else where the project's tests run
    (`test_dir`), on the project's own interpreter when it has one. A `-q` given here is
    not doubled: `-qq` would drop the counts from pytest's last line.
    """
    quiet = [] if any(_is_quiet(a) for a in args) else ["-q"]
    argv = [*quiet, "--color=no", "-p", "no:cacheprovider", *SKIPPED_PLUGINS, *args]
    root = str(workspace.root)
    run_dir = _run_dir(workspace, cwd)
    if run_dir != root:  # paths given from the workspace's root still name the same files
        argv = [_from_root(a, workspace.root, Path(run_dir)) for a in argv]
    env = {"PYTHONPATH": root}
    # A project copy adds its own settings (its .env values, `env=`) and import root.
    project_env = getattr(workspace, "test_environment", None)
    if project_env is not None:
        env.update(project_env())
    env.update(extra_env or {})
    exchange: list[Path] = [Path(p) for p in writable]
    if outcomes is not None:
        env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(PLUGIN_DIR)])
        env[OUTCOMES_ENV] = str(outcomes)
        argv[0:0] = ["-p", OUTCOMES_PLUGIN]
        exchange.append(Path(outcomes).parent)
    python = getattr(workspace, "python", None)
    # Raises SandboxUnavailable where no sandbox can start: the caller says why.
    with contained(workspace, env, exchange=exchange) as launch:
        run_env = launch.env if launch is not None else plain_environment(workspace, env)
        run = run_pytest_process(
            argv,
            cwd=run_dir,
            env=run_env,
            timeout=timeout,
            cancel=cancel,
            launch=launch,
            python=python,
        )
    output, timed_out, duration = run.output, run.timed_out, run.duration
    if run.cancelled:
        output += "\n[stopped: the run was stopped; the test process group was killed]\n"
    elif timed_out:
        output += f"\n[timed out after {timeout:g}s; the test process group was killed]\n"
    exit_code = run.exit_code
    return TestRun(
        passed=exit_code == 0,
        exit_code=exit_code,
        timed_out=timed_out,
        output=cap_output(output, cap),
        duration=duration,
        counts=parse_counts(output),
        stopped=run.cancelled,
    )


def _from_root(arg: str, root: Path, run_dir: Path) -> str:
    if arg.startswith("-"):
        return arg
    path, sep, node = arg.partition("::")
    if path and not (run_dir / path).exists() and (root / path).exists():
        return str(root / path) + sep + node
    return arg


def _is_quiet(arg: str) -> bool:
    return arg == "--quiet" or (arg.startswith("-q") and set(arg[1:]) == {"q"})


def _run_dir(workspace: Workspace, cwd: str | Path | None) -> str:
    """The folder pytest runs in: `cwd` when given (inside the workspace), else the
    project's test folder, else the workspace's root."""
    if cwd is not None:
        return str(workspace.resolve(str(cwd)))
    test_dir = "."
    if hasattr(type(workspace), "info"):  # a project copy
        try:
            test_dir = workspace.info.test_dir  # type: ignore[attr-defined]
        except Exception:  # an app the agent broke: its tests still run, from the root
            test_dir = "."
    return str(workspace.root / test_dir) if test_dir != "." else str(workspace.root)
