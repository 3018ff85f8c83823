"""`run_tests`: pytest in the workspace, in its own process group, with no secrets in reach.

Tests are code the agent wrote, so they run in a process of their own (forked from a warm
pytest server, see `pytest_server`): rooted at the workspace, killed as a whole group when
they hang, and given an environment stripped of API keys, tokens and passwords. A failing
run is information for the model, not a tool error.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..project.pytest_run import TestRun, read_outcomes, run_pytest_args
from ..project.workspace import PathRefused
from .base import OUTPUT_CAP, ToolContext, ToolError

if TYPE_CHECKING:
    from ..project.workspace import Workspace


@dataclass
class RecordedRun:
    """A run_tests run with each test's outcome, and the workspace it ran on.

    submit_result judges acceptance checks from it when no file has changed since.
    """

    fingerprint: str
    outcomes: dict[str, str]
    run: TestRun


LAST_RUN = "last_test_run"  # the ToolContext.extra key that holds the RecordedRun


def validate_target(workspace: Workspace, target: str) -> str:
    """The target as a workspace-relative pytest argument, or ToolError if it leaves the root."""
    if not isinstance(target, str) or not target.strip():
        raise ToolError("`target` must be a non-empty path or pytest node id")
    target = target.strip()
    if target.startswith("-"):
        raise ToolError("`target` must be a path or node id, not a pytest option")
    path_part, sep, node = target.partition("::")
    try:
        path = workspace.resolve(path_part)
    except PathRefused as exc:
        raise ToolError(str(exc)) from None
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


class RunTestsTool:
    """`run_tests`: the workspace's pytest suite, or one file or node id of it."""

    name = "run_tests"

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": (
                "Run pytest in the workspace (rooted at the workspace, with the project's own "
                "pytest configuration and conftest.py; the system prompt names the tests and "
                "how they import the app). Without "
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
