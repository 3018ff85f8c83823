"""A run's closing sections as plain text: the contract, the checks, the diff.

The CLI prints them; the notebook's run view uses them for its text form.
"""

from __future__ import annotations

from typing import Any

DIFF_LINE_CAP = 2000


def _items_text(title: str, items: list[str]) -> list[str]:
    return [f"{title}:", *(f"  - {item}" for item in items)] if items else []


def contract_text(contract: Any) -> str:
    if contract is None:
        return "No Execution Contract: the run ended without a valid one."
    lines = [f"Surface and success: {contract.surface_and_success}"]
    lines += _items_text("Constraints", contract.constraints)
    lines += _items_text("Invariants", contract.invariants)
    lines += _items_text("Non-goals", contract.non_goals)
    lines.append(f"Artifact: {contract.artifact_summary}")
    lines += _items_text(
        "Acceptance checks", [f"{c.description} ({c.test})" for c in contract.acceptance_checks]
    )
    lines += _items_text("Follow-ups and risks", contract.follow_ups_and_risks)
    lines += _items_text(
        "Decisions",
        [
            f"{d.title}: {d.choice}" + (" [significant]" if d.significant else "")
            for d in contract.decisions
        ],
    )
    phr = contract.phr
    lines.append(f"PHR: stage {phr.stage}, feature {phr.feature}, title {phr.title!r}")
    return "\n".join(lines)


def checks_text(checks: list[Any]) -> str:
    if not checks:
        return "No acceptance checks were run."
    passed = sum(check.passed for check in checks)
    lines = [f"Acceptance checks: {passed}/{len(checks)} passed"]
    for check in checks:
        lines.append(f"  [{'PASS' if check.passed else 'FAIL'}] {check.description} ({check.test})")
    return "\n".join(lines)


def red_green_text(entries: list[dict[str, Any]]) -> str:
    """The tests proven red before green, one a line: red before the run, green after."""
    if not entries:
        return ""
    lines = ["Red before green (before the run -> after):"]
    for entry in entries:
        before = "red" if entry["red"] else "GREEN (passed before: proves nothing)"
        after = "green" if entry["green"] else "RED (fails after the run)"
        lines.append(f"  {before} -> {after}  {entry['test']}")
    return "\n".join(lines)


def stage_text(stage: dict[str, Any] | None) -> str:
    """The /sp.* stage of a run: its file, feature and what its check found."""
    if not stage:
        return ""
    check = stage.get("check") or {}
    open_items = list(check.get("problems") or []) + list(check.get("questions") or [])
    state = "finished" if not open_items else "open: " + "; ".join(open_items)
    lines = [f"Stage /sp.{stage['name']} ({stage['phr_stage']}): {stage['path']}, {state}"]
    for item in stage.get("clarifications") or []:
        lines.append(f"  asked: {item['question']} -> {item['answer'] or '(nobody answered)'}")
    if stage.get("ticked"):
        lines.append(f"  ticked in tasks.md: {', '.join(stage['ticked'])}")
    return "\n".join(lines)


def diff_lines(diff: str) -> tuple[list[str], int]:
    """The first DIFF_LINE_CAP lines of a diff, and how many were left out."""
    lines = diff.splitlines()
    return lines[:DIFF_LINE_CAP], max(0, len(lines) - DIFF_LINE_CAP)


def diff_text(diff: str) -> str:
    if not diff.strip():
        return "No changes in the workspace."
    lines, cut = diff_lines(diff)
    if cut:
        lines.append(f"... {cut} more lines (wb.diff() has them all)")
    return "\n".join(lines)
