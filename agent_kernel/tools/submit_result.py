"""`submit_result`: the Execution Contract that ends a run, validated and then checked.

The input schema is the contract model's own, and so are the validation errors the
model reads back. The acceptance checks are not taken on trust: each named test is run
in the workspace and its pass/fail is what the result records. When the agent's last
`run_tests` covered them and no file has changed since, that run's outcomes are used
rather than running the same tests on the same code again.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..contract import ExecutionContract
from .base import ToolContext, ToolError
from .run_tests import LAST_RUN, RecordedRun, read_outcomes, run_pytest, validate_target
from .stage_gate import STAGE_KEY, stage_gate

TAIL = 2_000


@dataclass
class CheckResult:
    """One acceptance check as the workbench ran it."""

    description: str
    test: str
    passed: bool
    output_tail: str


def format_validation_error(error: ValidationError) -> str:
    """One line per error, `field.path: message`, in the order pydantic found them."""
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(contract)"
        lines.append(f"- {where}: {item['msg']}")
    return "\n".join(lines)


def validate_contract(tool_input: dict[str, Any]) -> ExecutionContract:
    """The contract in `tool_input`, or a ToolError listing what to fix (the model reads it)."""
    try:
        return ExecutionContract.model_validate(tool_input)
    except ValidationError as exc:
        raise ToolError(
            f"The contract is invalid ({exc.error_count()} errors); fix these fields "
            f"and call submit_result again:\n{format_validation_error(exc)}"
        ) from None


class SubmitResultTool:
    """`submit_result`: validate the contract, run its acceptance checks, end the run."""

    name = "submit_result"

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": (
                "Finish the request by submitting the Execution Contract. Calling this ENDS "
                "THE RUN: call it once, last, after your changes are made and their tests "
                "pass. The workbench validates the contract against this schema (an invalid "
                "one comes back as an error listing each field to fix; fix them and call "
                "again), then runs every acceptance check's `test` (a pytest path or node id "
                "relative to the workspace) itself and records pass/fail (when no file "
                "changed since a run_tests run that covered them, it reads their outcomes "
                "from that run), so name tests that exist and prove the behaviour. The diff "
                "is taken from the workspace, not from the summary. Keep follow_ups_and_risks "
                "to at most 3; list decisions with honest long_term_impact / cross_cutting "
                "flags (they drive the ADR suggestion); the phr title has 3-7 words."
            ),
            "input_schema": ExecutionContract.model_json_schema(),
        }

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        contract = validate_contract(tool_input)
        stage = ctx.extra.get(STAGE_KEY)
        if stage is not None:
            stage_gate(stage, ctx)
        results = run_checks(ctx, [(c.description, c.test) for c in contract.acceptance_checks])
        ctx.extra["contract"] = contract
        ctx.extra["check_results"] = results
        passed = sum(result.passed for result in results)
        lines = [f"Contract accepted. Acceptance checks: {passed}/{len(results)} passed."]
        for result in results:
            mark = "[PASS]" if result.passed else "[FAIL]"
            lines.append(f"{mark} {result.description} ({result.test})")
        return "\n".join(lines)

    @staticmethod
    def _check(ctx: ToolContext, description: str, test: str) -> CheckResult:
        try:
            run = run_pytest(ctx.workspace, test, timeout=ctx.test_timeout, cancel=ctx.stop_event)
        except ToolError as exc:  # a target outside the workspace or missing: a failed check
            return CheckResult(description, test, False, str(exc))
        tail = run.output[-TAIL:]
        return CheckResult(description, test, run.passed, f"{run.header()}\n{tail}")


def run_checks(ctx: ToolContext, checks: list[tuple[str, str]]) -> list[CheckResult]:
    """Every acceptance check in one pytest run, judged per check from each test's outcome.

    A check passes when at least one test matches its target and every matching test passed.
    If pytest cannot run the batch as a whole (a node id it does not know stops it), each
    check runs on its own instead.
    """
    targets: dict[int, str] = {}
    results: dict[int, CheckResult] = {}
    for index, (description, test) in enumerate(checks):
        try:
            targets[index] = validate_target(ctx.workspace, test)
        except ToolError as exc:  # outside the workspace or missing: a failed check
            results[index] = CheckResult(description, test, False, str(exc))
    unique = list(dict.fromkeys(targets.values()))
    if unique:
        recorded = _recorded_run(ctx, unique)
        if recorded is not None:
            run, outcomes = recorded.run, recorded.outcomes
            source = "judged from the last run_tests run; no file changed since"
        else:
            with tempfile.TemporaryDirectory() as tmp:
                outcomes_file = Path(tmp) / "outcomes.json"
                run = run_pytest(
                    ctx.workspace,
                    unique[0],
                    more_targets=unique[1:],
                    timeout=ctx.test_timeout,
                    outcomes=outcomes_file,
                    cancel=ctx.stop_event,
                )
                outcomes = read_outcomes(outcomes_file)
            source = "one pytest run for all checks"
        for index, target in targets.items():
            description, test = checks[index]
            if outcomes is None or run.exit_code in (3, 4):
                results[index] = SubmitResultTool._check(ctx, description, test)
                continue
            matched = {node: state for node, state in outcomes.items() if _matches(node, target)}
            passed = bool(matched) and not run.timed_out and set(matched.values()) == {"passed"}
            results[index] = CheckResult(
                description, test, passed, _verdict(passed, matched, run, target, source)
            )
    return [results[index] for index in range(len(checks))]


def _recorded_run(ctx: ToolContext, targets: list[str]) -> RecordedRun | None:
    """The last run_tests run, if nothing changed since and it ran every target."""
    recorded = ctx.extra.get(LAST_RUN)
    if not isinstance(recorded, RecordedRun):
        return None
    covered = all(any(_matches(node, target) for node in recorded.outcomes) for target in targets)
    if not covered or recorded.fingerprint != ctx.workspace.fingerprint():
        return None
    return recorded


def _verdict(passed: bool, matched: dict[str, str], run: Any, target: str, source: str) -> str:
    """This check's own counts first, then the shared run's header and, on failure, its tail."""
    counts: dict[str, int] = {}
    for state in matched.values():
        counts[state] = counts.get(state, 0) + 1
    mine = ", ".join(f"{n} {state}" for state, n in counts.items()) or f"no test matched {target}"
    lines = [f"{'passed' if passed else 'failed'}: {mine}"]
    lines += [f"  {node}: {state}" for node, state in matched.items()]
    lines.append(f"({source}: {run.header()})")
    if not passed:
        lines.append(run.output[-TAIL:])
    return "\n".join(lines)


def _matches(node: str, target: str) -> bool:
    target = target.rstrip("/")
    return node == target or any(node.startswith(target + sep) for sep in ("::", "[", "/"))
