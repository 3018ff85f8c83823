"""Sessions at the terminal: `workbench sessions`, `--resume ID`, and y/n/e edit approval."""

from __future__ import annotations

import sys

from ..agent.session import list_sessions
from ..tools.permissions import Approval, Approver, EditProposal, approvals_from


def print_sessions() -> int:
    rows = list_sessions()
    if not rows:
        print("no saved sessions")
        return 0
    header = f"{'id':<22} {'project':<18} {'prompts':>7} {'turns':>5} {'cost':>9}"
    print(f"{header}  status  first prompt")
    for row in rows:
        first = " ".join(row["first_prompt"].split())
        first = first if len(first) <= 50 else first[:49] + "…"
        print(
            f"{row['id']:<22} {row['project'][:18]:<18} {row['prompts']:>7} {row['turns']:>5} "
            f"${row['cost_usd']:>8.4f}  {row['last_status']:<6}  {first}"
        )
        print(f"{'':<22} workspace: {row['workspace']}")
    return 0


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
