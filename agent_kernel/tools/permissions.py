"""Permission modes: `plan`, `ask` and `accept-edits`, as wrappers around the tools.

The editor itself never changes; a mode wraps it (as `suppressed.py` does for the notebook
tests). `plan` refuses every write with a message that tells the model to propose instead,
and records what it proposed; `ask` shows each write as a diff and waits for an approval:
a rejection reaches the model as the tool's error result with the reason, the file stays
untouched, and with nobody to approve the run is halted (it ends `incomplete`, never hangs).
`accept-edits` (the default) is today's behaviour: no wrapper.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .base import Tool, ToolContext, ToolError
from .suppressed import WRITE_COMMANDS

PERMISSION_MODES = ("plan", "ask", "accept-edits")
DEFAULT_MODE = "accept-edits"
EDITOR = "str_replace_based_edit_tool"
HALT = "halt"  # ctx.extra key: why the run must end now (the loop ends it `incomplete`)
PLAN = "plan"  # ctx.extra key: the edits proposed in plan mode
PLAN_REFUSAL = (
    "Plan mode: nothing may be written yet, so this {command} of {path} was not applied. "
    "Read, inspect and run tests as you need, then propose: describe each change in your "
    "reply and call submit_result with the plan (artifact_summary says what will change). "
    "The user accepts the plan before any file is written."
)


class PermissionModeError(ValueError):
    """An unknown permission mode, named with the choices."""


def check_mode(mode: str | None) -> str:
    mode = (mode or DEFAULT_MODE).strip().lower().replace("_", "-")
    if mode not in PERMISSION_MODES:
        raise PermissionModeError(
            f"unknown permission mode {mode!r}: choose one of {', '.join(PERMISSION_MODES)}"
        )
    return mode


@dataclass(frozen=True)
class EditProposal:
    """A write the agent asked for, shown to the person who approves it."""

    command: str
    path: str
    diff: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Approval:
    approved: bool
    reason: str = ""


Approver = Callable[[EditProposal], Approval | None]
"""Decides on an edit; returns None when nobody is there to decide."""


def parse_approval(text: str) -> Approval:
    """`approve`/`y`, or `reject: reason` / `n reason`: answers given up front or typed."""
    text = text.strip()
    head, _, rest = text.partition(":") if ":" in text else text.partition(" ")
    word = head.strip().lower()
    if word in ("approve", "approved", "accept", "y", "yes", "ok"):
        return Approval(True, rest.strip())
    if word in ("reject", "rejected", "n", "no", "e", "edit"):
        return Approval(False, rest.strip() or "rejected without a reason")
    raise ValueError(f"not an approval: {text!r} (use 'approve' or 'reject: <reason>')")


def approvals_from(answers: Iterable[str | bool]) -> Approver:
    """Answers given up front (a notebook without a panel), used in order, then nobody."""
    queue = [a if isinstance(a, Approval) else _approval(a) for a in answers]

    def approve(_proposal: EditProposal) -> Approval | None:
        return queue.pop(0) if queue else None

    return approve


def _approval(answer: str | bool) -> Approval:
    if isinstance(answer, bool):
        return Approval(answer, "" if answer else "rejected without a reason")
    return parse_approval(answer)


def preview_diff(tool_input: dict[str, Any], ctx: ToolContext) -> str:
    """The unified diff the edit would make, computed without writing."""
    command = tool_input.get("command")
    path = str(tool_input.get("path", ""))
    try:
        target = ctx.workspace.resolve(path)
        before = target.read_text(encoding="utf-8") if target.is_file() else ""
    except (ToolError, OSError, UnicodeDecodeError):
        before = ""
    after = before
    if command == "create":
        after = str(tool_input.get("file_text", ""))
    elif command == "str_replace":
        old, new = str(tool_input.get("old_str", "")), str(tool_input.get("new_str", ""))
        after = before.replace(old, new, 1) if old and old in before else before
    elif command == "insert":
        lines = before.splitlines(keepends=True)
        at = tool_input.get("insert_line")
        at = at if isinstance(at, int) and 0 <= at <= len(lines) else len(lines)
        text = str(tool_input.get("insert_text", ""))
        lines[at:at] = [text if text.endswith("\n") else text + "\n"]
        after = "".join(lines)
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


class _Wrapper:
    def __init__(self, inner: Tool) -> None:
        self.inner = inner
        self.name = inner.name
        self.quick = getattr(inner, "quick", False)

    def definition(self) -> dict[str, Any]:
        return self.inner.definition()


class PlanModeEditor(_Wrapper):
    """Reads go through; every write is refused and kept as a proposal for the plan."""

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        command = tool_input.get("command")
        if command not in WRITE_COMMANDS:
            return self.inner(tool_input, ctx)
        path = str(tool_input.get("path", ""))
        ctx.extra.setdefault(PLAN, []).append(
            {"command": command, "path": path, "diff": preview_diff(tool_input, ctx)}
        )
        raise ToolError(PLAN_REFUSAL.format(command=command, path=path))


class PlanModeSubmit(_Wrapper):
    """The contract ends a plan-mode run as the plan: validated, its checks not run yet."""

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        from .submit_result import validate_contract

        contract = validate_contract(tool_input)
        ctx.extra["contract"] = contract
        ctx.extra["check_results"] = []
        proposed = len(ctx.extra.get(PLAN, []))
        ctx.extra["contract_note"] = (
            f"plan proposed ({proposed} edit(s), nothing written); accept it to carry it out"
        )
        return (
            f"Plan recorded with {proposed} proposed edit(s); nothing was written. Its "
            "acceptance checks run once the user accepts the plan and it is carried out."
        )


class ApprovalEditor(_Wrapper):
    """Each write is shown as a diff and waits for an approval before the editor runs."""

    def __init__(self, inner: Tool, approver: Approver | None) -> None:
        super().__init__(inner)
        self.approver = approver

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        command = tool_input.get("command")
        if command not in WRITE_COMMANDS:
            return self.inner(tool_input, ctx)
        path = str(tool_input.get("path", ""))
        proposal = EditProposal(str(command), path, preview_diff(tool_input, ctx), tool_input)
        decision = self.approver(proposal) if self.approver is not None else None
        if decision is None:
            why = f"nobody was there to approve the {command} of {path} (permission mode ask)"
            ctx.extra[HALT] = why
            raise ToolError(f"Not applied: {why}. The run ends here; the file is unchanged.")
        log = ctx.extra.setdefault("approvals", [])
        log.append({"command": command, "path": path, **decision.__dict__})
        if not decision.approved:
            raise ToolError(
                f"The user rejected this {command} of {path}; the file is unchanged. "
                f"Reason: {decision.reason}. Take the reason into account and propose a "
                "corrected edit."
            )
        return self.inner(tool_input, ctx)


def apply_mode(tools: list[Tool], mode: str, approver: Approver | None = None) -> list[Tool]:
    """The tools as the permission mode allows them."""
    mode = check_mode(mode)
    if mode == "accept-edits":
        return tools
    out: list[Tool] = []
    for tool in tools:
        if tool.name == EDITOR:
            wrapped = PlanModeEditor(tool) if mode == "plan" else ApprovalEditor(tool, approver)
            out.append(wrapped)
        elif tool.name == "submit_result" and mode == "plan":
            out.append(PlanModeSubmit(tool))
        else:
            out.append(tool)
    return out


def accept_plan_prompt(plan: str) -> str:
    """The prompt that carries out an accepted plan (a scripted session replays this text)."""
    return f"The plan is accepted. Carry it out now, then submit the contract: {plan.strip()}"
