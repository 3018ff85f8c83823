"""Sessions at the terminal: `workbench sessions`, `--resume ID`, and y/n/e edit approval."""

from __future__ import annotations

import sys
from pathlib import Path

from ..agent.session import CHECKOUT, list_sessions, state_dir
from ..tools.permissions import Approval, Approver, EditProposal, approvals_from


def print_sessions(
    *, workspace: Path | None = None, project: str | None = None, every: bool = False
) -> int:
    """The saved sessions of this checkout (or one workspace, one project, or all of them)."""
    folder = state_dir() / "sessions"
    rows = list_sessions()
    if workspace is not None:
        wanted = Path(workspace).expanduser().resolve()
        rows = [row for row in rows if Path(row["workspace"]).resolve() == wanted]
        scope = f"workspace {workspace}"
    elif project is not None:
        rows = [row for row in rows if _is_project(row, project)]
        scope = f"project {project}"
    elif every:
        scope = "every checkout"
    else:
        rows = [row for row in rows if row.get("checkout") == str(CHECKOUT)]
        scope = f"this checkout ({CHECKOUT}; --all for every checkout)"
    print(f"sessions in {folder} for {scope}")
    if not rows:
        print("no saved sessions")
        return 0
    header = f"{'id':<22} {'project':<18} {'prompts':>7} {'turns':>5} {'cost':>9}"
    print(f"{header}  status  first prompt")
    estimated = False
    for row in rows:
        first = " ".join(row["first_prompt"].split())
        first = first if len(first) <= 50 else first[:49] + "…"
        scripted = row.get("source") == "scripted"
        estimated |= scripted
        cost = f"{'~' if scripted else ''}${row['cost_usd']:.4f}"
        print(
            f"{row['id']:<22} {row['project'][:18]:<18} {row['prompts']:>7} {row['turns']:>5} "
            f"{cost:>9}  {row['last_status']:<6}  {first}"
        )
        print(f"{'':<22} workspace: {row['workspace']}")
    if estimated:
        print("~ an estimate: a scripted session calls no model, its tokens and cost are made up")
    return 0


def _is_project(row: dict, project: str) -> bool:
    if row.get("project") == project:
        return True
    source = row.get("project_dir")
    return bool(source) and Path(source).resolve() == Path(project).expanduser().resolve()


def approver_for(mode: str, answers: list[str]) -> Approver | None:
    """Answers given up front first; then the person at the terminal, when there is one."""
    if mode != "ask":
        return None
    given = approvals_from(answers) if answers else None

    def approve(proposal: EditProposal) -> Approval | None:
        decision = given(proposal) if given is not None else None
        if decision is not None:
            return decision
        return cli_approval(proposal)

    return approve


def cli_approval(proposal: EditProposal) -> Approval | None:
    """y approves, n rejects, e rejects with a reason typed next; no terminal: nobody."""
    if not sys.stdin or not sys.stdin.isatty():
        return None
    print(f"\n{proposal.command} {proposal.path}:\n{proposal.diff or '(no textual change)'}")
    while True:
        try:
            answer = input("apply this edit? [y]es / [n]o / [e] reject with a reason: ").strip()
        except EOFError:
            return None
        if answer.lower() in ("y", "yes"):
            return Approval(True)
        if answer.lower() in ("n", "no"):
            return Approval(False, "rejected at the terminal")
        if answer.lower() in ("e", "edit"):
            try:
                reason = input("reason: ").strip()
            except EOFError:
                return None
            return Approval(False, reason or "rejected at the terminal")
