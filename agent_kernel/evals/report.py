"""Reports of an evaluation: a terminal table, a JSON object, Markdown with a PNG chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chart import write_bar_chart
from .runner import TaskResult
from .scoring import VariantSummary

MAX_FAILURES_SHOWN = 3


@dataclass
class EvalReport:
    """Everything one `workbench eval` produced, ready to print or write."""

    suite: str
    mode: str
    session: str
    jobs: int
    results: list[TaskResult]
    summaries: list[VariantSummary]
    wall_s: float = 0.0
    date: str = field(default_factory=lambda: dt.datetime.now().strftime("%Y-%m-%d %H:%M"))

    @property
    def task_ids(self) -> list[str]:
        return list(dict.fromkeys(result.task_id for result in self.results))

    def result(self, task_id: str, variant: str) -> TaskResult | None:
        return next(
            (r for r in self.results if r.task_id == task_id and r.variant == variant), None
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "mode": self.mode,
            "session": self.session,
            "jobs": self.jobs,
            "date": self.date,
            "wall_s": round(self.wall_s, 3),
            "variants": [summary.to_dict() for summary in self.summaries],
            "tasks": [result.to_dict() for result in self.results],
        }


def _tokens(n: int) -> str:
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


def _pct(rate: float) -> str:
    return f"{round(rate * 100)}%"


def _table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right or set()
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _counts(result: TaskResult, kind: str) -> str:
    counts = result.counts(kind)
    return f"{counts['passed']}/{counts['total']}" if counts["total"] else "-"


def problem(result: TaskResult) -> str:
    """What went wrong in a task, in one line ('' when nothing did)."""
    parts = []
    if result.error:
        parts.append(result.error)
    if result.run_status not in ("", "ok"):
        parts.append(f"run {result.run_status}: {result.run_reason}")
    failures = result.failures
    if failures:
        shown = "; ".join(failures[:MAX_FAILURES_SHOWN])
        more = len(failures) - MAX_FAILURES_SHOWN
        parts.append(f"failed {shown}" + (f" (+{more} more)" if more > 0 else ""))
    return " · ".join(parts)


def progress_line(done: int, total: int, result: TaskResult, multi: bool) -> str:
    """One line as a task finishes: where the run is, the outcome and what it took."""
    who = f" [{result.variant}]" if multi else ""
    detail = (
        f"func {_counts(result, 'functional')} sec {_counts(result, 'security')} · "
        f"{result.turns} turns · {result.wall_s:.1f}s"
    )
    if result.error:
        detail += f" · {result.error}"
    elif result.run_status and result.run_status != "ok":
        detail += f" · run {result.run_status}: {result.run_reason}"
    width = len(str(total))
    return f"[{done:>{width}}/{total}] {result.task_id}{who}: {result.outcome.upper()} · {detail}"


def task_rows(report: EvalReport, variant: str) -> list[list[str]]:
    rows = []
    for task_id in report.task_ids:
        r = report.result(task_id, variant)
        if r is None:
            continue
        rows.append(
            [
                r.task_id,
                r.capability,
                r.outcome,
                r.run_status or "-",
                _counts(r, "functional"),
                _counts(r, "security"),
                str(r.turns),
                _tokens(r.usage_total),
                _tokens(r.usage.cache_read_tokens),
                f"${r.cost_usd:.4f}",
                f"{r.wall_s:.1f}s",
                str(r.diff_lines),
            ]
        )
    return rows


TASK_HEADERS = [
    "task",
    "capability",
    "result",
    "run",
    "func",
    "sec",
    "turns",
    "tokens",
    "cache rd",
    "cost",
    "time",
    "diff",
]
SUMMARY_HEADERS = [
    "variant",
    "pass@1",
    "secure-pass@1",
    "errors",
    "turns",
    "tokens",
    "cache rd",
    "cost",
    "time",
    "diff",
]


def summary_rows(report: EvalReport) -> list[list[str]]:
    return [
        [
            s.label,
            f"{s.passed}/{s.scored} {_pct(s.pass_at_1)}",
            f"{s.secure}/{s.scored} {_pct(s.secure_pass_at_1)}",
            str(s.errors + s.timeouts),
            str(s.turns),
            _tokens(s.total_tokens),
            _tokens(s.cache_read_tokens),
            f"${s.cost_usd:.4f}",
            f"{s.wall_s:.1f}s",
            str(s.diff_lines),
        ]
        for s in report.summaries
    ]


def render_terminal(report: EvalReport) -> str:
    """The tables printed at the end of a run."""
    parts = []
    for summary in report.summaries:
        title = f"== {summary.label}" if len(report.summaries) > 1 else "== tasks"
        parts.append(title)
        parts.append(_table(TASK_HEADERS, task_rows(report, summary.label), set(range(4, 12))))
        problems = [
            f"  {r.task_id}: {problem(r)}"
            for r in report.results
            if r.variant == summary.label and problem(r)
        ]
        if problems:
            parts.append("failures:")
            parts.extend(problems)
        parts.append("")
    heading = "== comparison" if len(report.summaries) > 1 else "== overall"
    parts.append(heading)
    parts.append(_table(SUMMARY_HEADERS, summary_rows(report), set(range(1, 10))))
    parts.append(
        f"suite {report.suite} · mode {report.mode} · session {report.session} · "
        f"{report.jobs} job(s) · {report.wall_s:.1f}s"
    )
    if report.mode == "replay":
        parts.append(REPLAY_NOTE)
    return "\n".join(parts)


REPLAY_NOTE = (
    "Replay mode: the answers are scripted or recorded sessions, not a live model; "
    "the scores prove the harness, not a model."
)


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    escape = [[cell.replace("|", "\\|") for cell in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in escape)
    return "\n".join(lines)


def render_markdown(report: EvalReport, chart_name: str | None = None) -> str:
    lines = [
        "# Evaluation report",
        "",
        f"- date: {report.date}",
        f"- suite: `{report.suite}` ({len(report.task_ids)} tasks)",
        f"- mode: {report.mode}; session: {report.session}; jobs: {report.jobs}; "
        f"wall time: {report.wall_s:.1f}s",
        "",
        "pass@1: every functional hidden check passes on the single attempt. "
        "secure-pass@1: every functional and every security check passes.",
        "",
    ]
    if report.mode == "replay":
        lines += [REPLAY_NOTE, ""]
    if chart_name:
        lines += [f"![pass@1 and secure-pass@1]({chart_name})", ""]
    lines += ["## Comparison" if len(report.summaries) > 1 else "## Overall", ""]
    lines += [_md_table(SUMMARY_HEADERS, summary_rows(report)), ""]
    for summary in report.summaries:
        lines += [f"## Tasks: {summary.label}", ""]
        lines += [_md_table(TASK_HEADERS, task_rows(report, summary.label)), ""]
        failed = [r for r in report.results if r.variant == summary.label and problem(r)]
        if failed:
            lines += ["Failures:", ""]
            for r in failed:
                lines.append(f"- `{r.task_id}` ({r.outcome}): {problem(r)}")
            lines.append("")
    return "\n".join(lines)


def write_report(report: EvalReport, path: Path | str) -> tuple[Path, Path]:
    """Write the Markdown report and its PNG chart beside it; returns both paths."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    chart = path.with_suffix(".png")
    groups = [(s.label, s.pass_at_1, s.secure_pass_at_1) for s in report.summaries]
    write_bar_chart(chart, groups)
    path.write_text(render_markdown(report, chart.name), encoding="utf-8")
    return path, chart
