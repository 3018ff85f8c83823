"""`submit_result`: the Execution Contract that ends a run, validated and then checked.

The input schema is the contract model's own, and so are the validation errors the
model reads back. The acceptance checks are not taken on trust: each named test is run
in the workspace and its pass/fail is what the result records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ..contract import ExecutionContract
from .base import ToolContext, ToolError
from .run_tests import run_pytest

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
                "relative to the workspace) itself and records pass/fail, so name tests that "
                "exist and prove the behaviour. The diff is taken from the workspace, not "
                "from the summary. Keep follow_ups_and_risks to at most 3; list decisions "
                "with honest long_term_impact / cross_cutting flags (they drive the ADR "
                "suggestion); the phr title has 3-7 words."
            ),
            "input_schema": ExecutionContract.model_json_schema(),
        }

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        try:
            contract = ExecutionContract.model_validate(tool_input)
        except ValidationError as exc:
            raise ToolError(
                f"The contract is invalid ({exc.error_count()} errors); fix these fields "
                f"and call submit_result again:\n{format_validation_error(exc)}"
            ) from None
        results = [
            self._check(ctx, check.description, check.test) for check in contract.acceptance_checks
        ]
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
            run = run_pytest(ctx.workspace, test, timeout=ctx.test_timeout)
        except ToolError as exc:  # a target outside the workspace or missing: a failed check
            return CheckResult(description, test, False, str(exc))
        tail = run.output[-TAIL:]
        return CheckResult(description, test, run.passed, f"{run.header()}\n{tail}")
