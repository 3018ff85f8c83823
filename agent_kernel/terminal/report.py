"""What `workbench run` prints when a run has ended: as `demo` does, then where things are.

The plan (in plan mode), the contract, the checks and the diff (`--quiet` leaves them out),
then the workspace, the session and the records, each as a path that exists when printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .sections import checks_text, contract_text, diff_text


def plan_text(result: Any) -> str:
    """The proposed plan: the contract's summary and each edit that was held back."""
    summary = result.contract.artifact_summary if result.contract else "(no plan was submitted)"
    lines = [summary]
    for edit in result.plan:
        lines.append(f"\n{edit.get('command', 'edit')} {edit.get('path', '')} (not written):")
        lines.append(edit.get("diff") or "(no textual change)")
    return "\n".join(lines)


def shown_path(path: Path | str) -> str:
    """A record's path as printed: relative to where the command ran when it is below it."""
    target = Path(path)
    if not target.is_absolute():
        return str(target)
    try:
        return str(target.relative_to(Path.cwd()))
    except ValueError:
        return str(target)


def print_run_report(result: Any, wb: Any, *, quiet: bool = False) -> None:
    planned = result.permission_mode == "plan"
    if planned:
        print(f"\n== Plan (nothing was written)\n{plan_text(result)}")
    if not quiet:
        sections = [("Execution Contract", contract_text(result.contract))]
        if not planned:
            sections += [("Checks", checks_text(result.checks)), ("Diff", diff_text(result.diff))]
        for title, text in sections:
            print(f"\n== {title}\n{text}")
    print()
    root = wb.workspace.root
    if wb.temporary:
        print(f"workspace: {root} (temporary: removed when this command ends; --keep keeps it)")
    else:
        print(f"workspace: {shown_path(root)}")
        print(f"session: {result.session_id} (continue with --resume {result.session_id})")
        if planned and result.contract is not None:
            print(f"accept the plan: workbench run --resume {result.session_id} --accept-plan")
    if result.phr_path:
        print(f"PHR: {shown_path(result.phr_path)}")
    if result.trajectory_path:
        print(f"trajectory: {shown_path(result.trajectory_path)}")
    for suggestion in result.adr_suggestions:
        print(suggestion)
