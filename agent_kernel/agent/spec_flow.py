"""What a run does for spec-driven work after the loop: prove its tests red before green,
close its `/sp.*` stage (the stage and feature in the contract, the file's last check), and
tick the tasks whose tests went green."""

from __future__ import annotations

from pathlib import Path

from ..project.workspace import Workspace
from ..specs.checks import tick_tasks
from ..specs.red_green import changed_test_files, green_files, prove, verdict
from ..specs.stages import StageRun
from ..tools.base import ToolContext
from .events import Notice, Observer, broadcast
from .result import RunResult

CLARIFICATIONS = "clarifications"


def red_green_line(entries: list[dict]) -> str:
    """One line: how many tests were proven, flagged (passed before) and failing after."""
    proven = sum(1 for e in entries if e["red"] and e["green"])
    flagged = sum(1 for e in entries if not e["red"])
    failing = sum(1 for e in entries if not e["green"])
    return (
        f"red/green: {proven}/{len(entries)} proven (failed before the run, pass after), "
        f"{flagged} passed before the run too, {failing} fail after"
    )


def tests_to_prove(
    result: RunResult, workspace: Workspace, before: dict[str, str], stage: StageRun | None
) -> list[str]:
    """/sp.implement: every test file the run added or changed; any other run: those of them
    its contract names as acceptance checks."""
    changed = changed_test_files(workspace, before)
    if stage is not None and stage.name == "implement":
        return changed
    if result.contract is None:
        return []
    named = {check.test.split("::", 1)[0] for check in result.contract.acceptance_checks}
    return [rel for rel in changed if rel in named]


def prove_tests(
    result: RunResult,
    workspace: Workspace,
    before: dict[str, str],
    stage: StageRun | None,
    ctx: ToolContext,
    observers: list[Observer],
) -> None:
    """Fill `result.red_green`; a test failing after the run fails it, one that passed before
    is flagged in the reason; /sp.implement ticks its green tasks."""
    if ctx.stop_event is not None and ctx.stop_event.is_set():
        return
    files = tests_to_prove(result, workspace, before, stage)
    if not files:
        return
    entries = prove(workspace, files, timeout=ctx.test_timeout, cancel=ctx.stop_event)
    result.red_green = [entry.to_dict() for entry in entries]
    _, flagged, failing = verdict(entries)
    broadcast(observers, Notice(red_green_line(result.red_green).capitalize(), "info"))
    if failing and result.status == "ok":
        result.status = "incomplete"
        result.reason = f"{len(failing)} test(s) fail after the run: {', '.join(failing)}"
    if flagged:
        result.reason += (
            f"; {len(flagged)} test(s) passed before the run too, so they prove nothing: "
            + ", ".join(flagged)
        )
    if stage is not None and stage.name == "implement":
        tasks = Path(workspace.root) / stage.path
        if tasks.is_file():
            text, ticked = tick_tasks(tasks.read_text(encoding="utf-8"), green_files(entries))
            if ticked:
                tasks.write_text(text, encoding="utf-8")
                ctx.extra["ticked"] = ticked


def finish_stage(
    result: RunResult, stage: StageRun, workspace: Workspace, ctx: ToolContext
) -> None:
    """The stage in the result and the contract; an unfinished stage file leaves it incomplete."""
    check = stage.check(workspace.root)
    phr_stage = stage.phr_stage
    if stage.name == "implement" and any(not e["green"] for e in result.red_green):
        phr_stage = "red"
    result.stage = {
        **stage.to_dict(),
        "phr_stage": phr_stage,
        "check": check.to_dict(),
        CLARIFICATIONS: list(ctx.extra.get(CLARIFICATIONS, [])),
        "ticked": list(ctx.extra.get("ticked", [])),
    }
    contract = result.contract
    if contract is not None:
        phr = contract.phr.model_copy(
            update={"stage": phr_stage, "feature": stage.feature or contract.phr.feature}
        )
        result.contract = contract.model_copy(update={"phr": phr})
    if not check.ok and result.status == "ok":
        open_items = check.problems + [f"open question: {q}" for q in check.questions]
        result.status = "incomplete"
        result.reason = f"{stage.path} is not finished: " + "; ".join(open_items)
