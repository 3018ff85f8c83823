"""`run_tests`: pytest in the workspace, in its own process group, with no secrets in reach.

Tests are code the agent wrote, so they run in a process of their own (forked from a warm
pytest server, see `pytest_server`): rooted at the workspace, killed as a whole group when
they hang, and given an environment stripped of API keys, tokens and passwords. A failing
run is information for the model, not a tool error.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..project.pytest_server import run_pytest_process
from .base import OUTPUT_CAP, ToolContext, ToolError, cap_output

if TYPE_CHECKING:
    from ..project.workspace import Workspace

# Plugins of the workbench's own environment that app tests never use: nbval alone costs
# seconds of start-up (nbformat, jsonschema) on every run.
SKIPPED_PLUGINS = ("-p", "no:nbval")
# A tiny pytest plugin (beside this module) that writes each test's outcome by node id.
PLUGIN_DIR = Path(__file__).resolve().parents[1] / "project" / "pytest_plugins"
OUTCOMES_PLUGIN = "workbench_outcomes"
OUTCOMES_ENV = "WORKBENCH_OUTCOMES_FILE"
SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH")
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


@dataclass
class RecordedRun:
    """A run_tests run with each test's outcome, and the workspace it ran on.

    submit_result judges acceptance checks from it when no file has changed since.
    """

    fingerprint: str
    outcomes: dict[str, str]
    run: TestRun


LAST_RUN = "last_test_run"  # the ToolContext.extra key that holds the RecordedRun


def read_outcomes(path: Path) -> dict[str, str] | None:
    """The outcomes plugin's file: node id -> outcome; None when it was not written."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def safe_environment(root: str) -> dict[str, str]:
    """os.environ without anything that looks like a credential, rooted at the workspace."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith("ANTHROPIC_")
        and not any(marker in name.upper() for marker in SECRET_MARKERS)
    }
    # The workspace's pytest.ini decides, not the caller's pytest (addopts, plugins, workers).
    env = {name: value for name, value in env.items() if not name.startswith("PYTEST_")}
    env["PYTHONPATH"] = root
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


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


def validate_target(workspace: Workspace, target: str) -> str:
    """The target as a workspace-relative pytest argument, or ToolError if it leaves the root."""
    if not isinstance(target, str) or not target.strip():
        raise ToolError("`target` must be a non-empty path or pytest node id")
    target = target.strip()
    if target.startswith("-"):
        raise ToolError("`target` must be a path or node id, not a pytest option")
    path_part, sep, node = target.partition("::")
    path = workspace.resolve(path_part)
    if not path.exists():
        raise ToolError(f"{path_part!r} does not exist in the workspace")
    return workspace.relative(path) + sep + node


def run_pytest(
    workspace: Workspace,
    target: str | None = None,
    *,
    timeout: float = 120.0,
    cap: int = OUTPUT_CAP,
    more_targets: Sequence[str] = (),
    outcomes: Path | None = None,
    cancel: threading.Event | None = None,
) -> TestRun:
    """Run pytest (optionally on one path or node id) in the workspace and report the result.

    `more_targets` adds further paths or node ids to the same run; `outcomes` names a JSON
    file that receives every test's outcome by node id (one run serves many checks).
    Targets must stay inside the workspace: they come from the model.
    """
    targets = [] if target is None else [validate_target(workspace, target)]
    targets += [validate_target(workspace, extra) for extra in more_targets]
    return run_pytest_args(
        workspace, targets, timeout=timeout, cap=cap, outcomes=outcomes, cancel=cancel
    )


def run_pytest_args(
    workspace: Workspace,
    args: Sequence[str] = (),
    *,
    timeout: float = 120.0,
    cap: int = OUTPUT_CAP,
    outcomes: Path | None = None,
    cancel: threading.Event | None = None,
    extra_env: dict[str, str] | None = None,
) -> TestRun:
    """pytest with any arguments (options too) in the workspace, isolated as `run_tests` is.

    `extra_env` adds variables to the scrubbed environment (e.g. pytest's own switches).
    """
    argv = ["-q", "--color=no", "-p", "no:cacheprovider", *SKIPPED_PLUGINS, *args]
    root = str(workspace.root)
    env = safe_environment(root)
    env.update(extra_env or {})
    if outcomes is not None:
        env["PYTHONPATH"] = os.pathsep.join([root, str(PLUGIN_DIR)])
        env[OUTCOMES_ENV] = str(outcomes)
        argv[0:0] = ["-p", OUTCOMES_PLUGIN]
    run = run_pytest_process(argv, cwd=root, env=env, timeout=timeout, cancel=cancel)
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


class RunTestsTool:
    """`run_tests`: the workspace's pytest suite, or one file or node id of it."""

    name = "run_tests"

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": (
                "Run pytest in the workspace (rooted at the workspace, with its pytest.ini: "
                "tests live under tests/ and import the app as `sandbox_app`). Without "
                "`target` the whole suite runs; with `target` only that file, folder or node "
                "id (e.g. tests/test_items.py::test_create_item). Returns a header "
                "(passed / failed / timed out, counts, duration) and pytest's output, cut in "
                "the middle when long. Failing tests are reported, not raised as errors. "
                "Tests run with a time limit and without API keys or other secrets in the "
                "environment. Run the relevant tests after every change and before "
                "submit_result."
            ),
            "input_schema": {
                "type": "object",
                "properties": {
                    "target": {
                        "type": "string",
                        "description": (
                            "Optional path or pytest node id relative to the workspace root, "
                            "e.g. tests/test_health.py or tests/test_health.py::test_name."
                        ),
                    }
                },
                "additionalProperties": False,
            },
        }

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        target = tool_input.get("target")
        if target is not None and not isinstance(target, str):
            raise ToolError("`target` must be a string")
        before = ctx.workspace.fingerprint()
        with tempfile.TemporaryDirectory() as tmp:
            outcomes_file = Path(tmp) / "outcomes.json"
            run = run_pytest(
                ctx.workspace,
                target or None,
                timeout=ctx.test_timeout,
                outcomes=outcomes_file,
                cancel=ctx.stop_event,
            )
            outcomes = read_outcomes(outcomes_file)
        killed = run.timed_out or run.stopped
        complete = outcomes is not None and not killed and run.exit_code not in (3, 4)
        unchanged = complete and ctx.workspace.fingerprint() == before
        ctx.extra[LAST_RUN] = RecordedRun(before, outcomes or {}, run) if unchanged else None
        header = f"run_tests {target or '(whole suite)'}: {run.header()}"
        if run.timed_out:
            header += (
                f"\nThe run exceeded {ctx.test_timeout:g}s and was killed; look for a test "
                "or fixture that hangs (a blocking call, an endless loop, a server that "
                "never stops)."
            )
        return f"{header}\n\n{run.output}"
