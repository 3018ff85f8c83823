"""The result of one run: what happened, what changed, what it cost, where it is recorded."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..contract import ExecutionContract
from .usage import Usage

Status = Literal["ok", "incomplete", "budget_exceeded", "refused", "error"]


@dataclass
class ToolTraceEntry:
    turn: int
    name: str
    input: dict[str, Any]
    output: str
    is_error: bool
    duration: float


@dataclass
class CheckOutcome:
    description: str
    test: str
    passed: bool
    output: str = ""


@dataclass
class RunResult:
    status: Status
    reason: str
    prompt: str
    mode: str
    source: str
    model: str
    contract: ExecutionContract | None = None
    checks: list[CheckOutcome] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    diff: str = ""
    tool_trace: list[ToolTraceEntry] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    duration_s: float = 0.0
    turns: int = 0
    final_text: str = ""
    phr_path: Path | None = None
    trajectory_path: Path | None = None
    adr_suggestions: list[str] = field(default_factory=list)
    session_id: str = ""
    permission_mode: str = "accept-edits"
    plan: list[dict[str, Any]] = field(default_factory=list)  # edits proposed in plan mode
    approvals: list[dict[str, Any]] = field(default_factory=list)  # decisions in ask mode
    memory: list[str] = field(default_factory=list)  # project memory files the run was given
    stage: dict[str, Any] | None = None  # the /sp.* stage: name, feature, file, its check
    red_green: list[dict[str, Any]] = field(default_factory=list)  # [{test, red, green}]

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def checks_passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "mode": self.mode,
            "source": self.source,
            "model": self.model,
            "turns": self.turns,
            "files_changed": self.files_changed,
            "usage": self.usage.to_dict(),
            "cost_usd": round(self.cost_usd, 6),
            "duration_s": round(self.duration_s, 3),
            "checks": [check.__dict__ for check in self.checks],
            "contract": self.contract.model_dump() if self.contract else None,
            "adr_suggestions": self.adr_suggestions,
            "phr_path": str(self.phr_path) if self.phr_path else None,
            "trajectory_path": str(self.trajectory_path) if self.trajectory_path else None,
            "session_id": self.session_id,
            "permission_mode": self.permission_mode,
            "plan": self.plan,
            "approvals": self.approvals,
            "memory": self.memory,
            "stage": self.stage,
            "red_green": self.red_green,
        }

    def summary(self, history_dir: Path | None = None) -> dict[str, Any]:
        """The one-prompt summary a session keeps (and saves) for this run."""
        phr = self.phr_path
        if phr is not None and history_dir is not None:
            with contextlib.suppress(ValueError):  # a history elsewhere keeps its full path
                phr = Path(phr).relative_to(history_dir)
        return {
            "prompt": self.prompt,
            "status": self.status,
            "reason": self.reason,
            "turns": self.turns,
            "usage": self.usage.to_dict(),
            "cost_usd": round(self.cost_usd, 6),
            "phr_path": str(phr) if phr else None,
            "permission_mode": self.permission_mode,
            # a proposed plan, so a resumed session can accept it (`--resume ID --accept-plan`)
            "plan_summary": (
                self.contract.artifact_summary
                if self.permission_mode == "plan" and self.contract is not None
                else None
            ),
        }

    def to_json(self) -> str:
        """The result as one line of JSON, secrets redacted (it is printed and stored)."""
        from ..history.redaction import redact_obj

        return json.dumps(redact_obj(self.to_dict()), default=str)
