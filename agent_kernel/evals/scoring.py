"""Scores: pass@k and secure-pass@k per variant, with intervals and what the runs cost.

pass@1 is the share of runs whose functional checks all pass; secure-pass@1 the share whose
functional *and* security checks all pass. With N samples a task, pass@k (k = 1..N) is
Chen et al.'s unbiased estimate per task, averaged over tasks, with a 95% interval by one
method for every k (`stats.pass_at_k_interval`). A run that crashed or timed out counts as
a failure; a skipped one (no session to replay) is left out.

A run that passed functionally but had no security check run (the app or the container kept
them from running) says nothing about security: its secure result is "not measured", and
it is left out of secure-pass (the count is shown beside the figure), never counted secure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .runner import TaskResult, Variant
from .stats import (
    Interval,
    bootstrap_mean,
    newcombe_difference,
    pass_at_k_interval,
    significance,
)


@dataclass(frozen=True)
class TaskTally:
    """One task of one variant over its samples: runs, passes, secure passes."""

    task_id: str
    capability: str
    n: int
    passed: int
    secure: int
    unmeasured: int = 0

    @property
    def measured(self) -> int:
        """The runs that count in secure-pass (those whose security was measured)."""
        return self.n - self.unmeasured


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
    samples: int = 1
    pass_at_k: dict[int, Interval] = field(default_factory=dict)
    secure_pass_at_k: dict[int, Interval] = field(default_factory=dict)
    capabilities: dict[str, tuple[Interval, Interval]] = field(default_factory=dict)
    cwes: Counter[str] = field(default_factory=Counter)
    not_run: int = 0
    secure_unmeasured: int = 0

    @property
    def secure_scored(self) -> int:
        """The runs secure-pass is over: scored, less those whose security was not measured."""
        return self.scored - self.secure_unmeasured

    @property
    def per_sample_cost_usd(self) -> float:
        return self.cost_usd / self.scored if self.scored else 0.0

    @property
    def per_sample_tokens(self) -> float:
        return self.total_tokens / self.scored if self.scored else 0.0

    @property
    def pass_at_1(self) -> float:
        return self.passed / self.scored if self.scored else 0.0

    @property
    def secure_pass_at_1(self) -> float:
        return self.secure / self.secure_scored if self.secure_scored else 0.0

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
            "secure_scored": self.secure_scored,
            "secure_not_measured": self.secure_unmeasured,
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
            "samples": self.samples,
            "per_sample": {
                "cost_usd": round(self.per_sample_cost_usd, 6),
                "tokens": round(self.per_sample_tokens, 1),
            },
            "pass_at_k": {str(k): i.to_dict() for k, i in self.pass_at_k.items()},
            "secure_pass_at_k": {str(k): i.to_dict() for k, i in self.secure_pass_at_k.items()},
            "capabilities": {
                cap: {"pass": p.to_dict(), "secure": s.to_dict()}
                for cap, (p, s) in self.capabilities.items()
            },
            "cwes": dict(sorted(self.cwes.items())),
            "not_run_checks": self.not_run,
        }


def tallies(results: list[TaskResult], variant: str) -> list[TaskTally]:
    """Per task (in first-seen order) of one variant: its scored runs, passes, secure passes."""
    counts: dict[str, list[int]] = {}
    capability: dict[str, str] = {}
    for result in results:
        if result.variant != variant or result.status == "skipped":
            continue
        row = counts.setdefault(result.task_id, [0, 0, 0, 0])
        row[0] += 1
        row[1] += result.passed
        row[2] += result.secure
        row[3] += result.secure_unmeasured
        capability[result.task_id] = result.capability
    return [TaskTally(t, capability[t], *row) for t, row in counts.items()]


def rate_at_k(rows: list[TaskTally], k: int, secure: bool = False) -> Interval:
    """pass@k (or secure-pass@k) averaged over the tasks with at least k samples.

    The 95% interval is the same method for every k (`stats.pass_at_k_interval`). For
    secure-pass, a task's runs whose security was not measured are left out.
    """
    if secure:
        counts = [(r.measured, r.secure) for r in rows if r.measured >= k]
    else:
        counts = [(r.n, r.passed) for r in rows if r.n >= k]
    return pass_at_k_interval(counts, k)


def _score_samples(summary: VariantSummary, results: list[TaskResult]) -> None:
    rows = tallies(results, summary.label)
    summary.samples = max((r.n for r in rows), default=0)
    for k in range(1, summary.samples + 1):
        summary.pass_at_k[k] = rate_at_k(rows, k)
        summary.secure_pass_at_k[k] = rate_at_k(rows, k, secure=True)
    by_capability: dict[str, list[TaskTally]] = {}
    for row in rows:
        by_capability.setdefault(row.capability, []).append(row)
    for cap, group in by_capability.items():
        summary.capabilities[cap] = (rate_at_k(group, 1), rate_at_k(group, 1, secure=True))


@dataclass(frozen=True)
class TaskComparison:
    """Variant a against variant b on one task: the difference of their rates, paired by task."""

    task_id: str
    a: tuple[int, int]
    b: tuple[int, int]
    difference: Interval

    @property
    def verdict(self) -> str:
        return significance(self.difference)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task_id,
            "a": {"passed": self.a[0], "runs": self.a[1]},
            "b": {"passed": self.b[0], "runs": self.b[1]},
            "difference": self.difference.to_dict(),
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class Comparison:
    """Two variants on the tasks both ran: per task, and the mean paired difference."""

    a: str
    b: str
    metric: str  # pass or secure
    tasks: list[TaskComparison]
    overall: Interval

    @property
    def verdict(self) -> str:
        return significance(self.overall)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "metric": self.metric,
            "overall": self.overall.to_dict(),
            "verdict": self.verdict,
            "tasks": [task.to_dict() for task in self.tasks],
        }


def compare(results: list[TaskResult], a: str, b: str, metric: str = "pass") -> Comparison:
    """Rate of `a` minus rate of `b`, per task (Newcombe) and over tasks (bootstrap)."""
    secure = metric == "secure"
    rows_a = {r.task_id: r for r in tallies(results, a)}
    rows_b = {r.task_id: r for r in tallies(results, b)}
    per_task = []
    for task_id, ra in rows_a.items():
        rb = rows_b.get(task_id)
        if rb is None:
            continue
        na, nb = (ra.measured, rb.measured) if secure else (ra.n, rb.n)
        if not na or not nb:
            continue
        ca, cb = (ra.secure, rb.secure) if secure else (ra.passed, rb.passed)
        per_task.append(
            TaskComparison(task_id, (ca, na), (cb, nb), newcombe_difference((ca, na), (cb, nb)))
        )
    overall = bootstrap_mean([t.difference.value for t in per_task])
    if len(per_task) == 1:
        overall = per_task[0].difference
    return Comparison(a, b, metric, per_task, overall)


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
        summary.cwes.update(result.cwes)
        summary.not_run += len(result.not_run)
        summary.secure_unmeasured += result.secure_unmeasured
    for summary in summaries.values():
        _score_samples(summary, results)
    return list(summaries.values())
