"""Scores: pass@1 and secure-pass@1 per variant, with what the runs cost.

pass@1 is the share of tasks whose functional checks all pass on the first (only) attempt;
secure-pass@1 the share whose functional *and* security checks all pass. A task that
crashed or timed out counts as a failure; a skipped task (no session to replay) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .runner import TaskResult, Variant


@dataclass
class VariantSummary:
    label: str
    model: str | None
    agent: str | None
    tasks: int = 0
    scored: int = 0
    passed: int = 0
    secure: int = 0
    errors: int = 0
    timeouts: int = 0
    skipped: int = 0
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    wall_s: float = 0.0
    diff_lines: int = 0

    @property
    def pass_at_1(self) -> float:
        return self.passed / self.scored if self.scored else 0.0

    @property
    def secure_pass_at_1(self) -> float:
        return self.secure / self.scored if self.scored else 0.0

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.label,
            "model": self.model,
            "agent": self.agent,
            "tasks": self.tasks,
            "scored": self.scored,
            "passed": self.passed,
            "secure_passed": self.secure,
            "pass_at_1": round(self.pass_at_1, 4),
            "secure_pass_at_1": round(self.secure_pass_at_1, 4),
            "errors": self.errors,
            "timeouts": self.timeouts,
            "skipped": self.skipped,
            "turns": self.turns,
            "tokens": {
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "cache_read_tokens": self.cache_read_tokens,
                "cache_write_tokens": self.cache_write_tokens,
                "total": self.total_tokens,
            },
            "cost_usd": round(self.cost_usd, 6),
            "wall_s": round(self.wall_s, 3),
            "diff_lines": self.diff_lines,
        }


def summarise(results: list[TaskResult], variants: list[Variant]) -> list[VariantSummary]:
    """One summary per variant, in the order the variants were given."""
    summaries = {
        v.label: VariantSummary(v.label, v.model, str(v.agent_path) if v.agent_path else None)
        for v in variants
    }
    for result in results:
        summary = summaries[result.variant]
        summary.tasks += 1
        if result.status == "skipped":
            summary.skipped += 1
            continue
        summary.scored += 1
        summary.passed += result.passed
        summary.secure += result.secure
        summary.errors += result.status == "error"
        summary.timeouts += result.status == "timeout"
        summary.turns += result.turns
        summary.input_tokens += result.usage.input_tokens
        summary.output_tokens += result.usage.output_tokens
        summary.cache_read_tokens += result.usage.cache_read_tokens
        summary.cache_write_tokens += result.usage.cache_write_tokens
        summary.cost_usd += result.cost_usd
        summary.wall_s += result.wall_s
        summary.diff_lines += result.diff_lines
    return list(summaries.values())
