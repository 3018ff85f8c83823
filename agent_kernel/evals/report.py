"""Reports of an evaluation: a terminal table, a JSON object, Markdown with a PNG chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chart import write_bar_chart
from .runner import TaskResult
from .scoring import Comparison, VariantSummary, compare, tallies

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
    samples: int = 1
    executor: str = "local"
    kind: str = "suite"  # suite (evals/) or baxbench

    def comparisons(self) -> list[Comparison]:
        """The first variant against each other one, on pass and on secure pass."""
        if len(self.summaries) < 2:
            return []
        first = self.summaries[0].label
        return [
            compare(self.results, first, other.label, metric)
            for other in self.summaries[1:]
            for metric in ("pass", "secure")
        ]

    def grid(self) -> dict[str, dict[str, str]]:
        """task -> variant -> one cell: the outcome, or `secure/passed/runs` over samples."""
        cells: dict[str, dict[str, str]] = {task: {} for task in self.task_ids}
        for summary in self.summaries:
            for row in tallies(self.results, summary.label):
                if self.samples == 1 and row.n == 1:
                    result = self.result(row.task_id, summary.label)
                    cells[row.task_id][summary.label] = result.outcome if result else "-"
                else:
                    cells[row.task_id][summary.label] = (
                        f"{row.passed}/{row.n} pass, {row.secure}/{row.n} secure"
                    )
        return cells

    def cwe_rows(self) -> list[list[str]]:
        """One row per CWE found: how many runs of each variant it was found in."""
        found = sorted({cwe for s in self.summaries for cwe in s.cwes})
        rows = []
        for cwe in found:
            tasks = ", ".join(sorted({r.task_id for r in self.results if cwe in r.cwes}))
            rows.append([cwe, *(f"{s.cwes.get(cwe, 0)}/{s.scored}" for s in self.summaries), tasks])
        return rows

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
            "samples": self.samples,
            "executor": self.executor,
            "kind": self.kind,
            "variants": [summary.to_dict() for summary in self.summaries],
            "comparisons": [c.to_dict() for c in self.comparisons()],
            "grid": self.grid(),
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
    if result.cwes:
        parts.append(f"CWEs {', '.join(result.cwes)}")
    if result.not_run:
        parts.append(f"not run (never counted as passed): {'; '.join(result.not_run)}")
    return " · ".join(parts)


def progress_line(done: int, total: int, result: TaskResult, multi: bool, samples: int = 1) -> str:
    """One line as a task finishes: where the run is, the outcome and what it took."""
    who = f" [{result.variant}]" if multi else ""
    if samples > 1:
        who += f" #{result.sample}"
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
    for r in report.results:
        if r.variant != variant:
            continue
        rows.append(
            [
                r.task_id if report.samples == 1 else f"{r.task_id} #{r.sample}",
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
            f"  {r.task_id}{f' #{r.sample}' if report.samples > 1 else ''}: {problem(r)}"
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
    if report.samples > 1:
        parts += [
            "",
            "== pass@k, 95% intervals (k=1 Wilson; k>1 bootstrap)",
        ]
        parts.append(_table(*pass_at_k_table(report)))
    comparisons = report.comparisons()
    if comparisons:
        parts += ["", "== paired differences (first variant minus the other, 95% interval)"]
        parts.append(_table(*comparison_table(comparisons)))
    cwes = report.cwe_rows()
    if cwes:
        parts += ["", "== CWEs found (runs)"]
        parts.append(_table(["CWE", *(s.label for s in report.summaries), "tasks"], cwes))
    parts.append(
        f"suite {report.suite} · mode {report.mode} · session {report.session} · "
        f"{report.jobs} job(s) · {report.wall_s:.1f}s"
    )
    if report.mode == "replay":
        parts.append(REPLAY_NOTE)
    return "\n".join(parts)


def _interval(i: Any) -> str:
    return f"{_pct(i.value)} [{_pct(i.low)}-{_pct(i.high)}]"


def pass_at_k_table(report: EvalReport) -> tuple[list[str], list[list[str]]]:
    ks = range(1, report.samples + 1)
    headers = ["variant", *(f"pass@{k}" for k in ks), *(f"secure-pass@{k}" for k in ks)]
    headers += ["cost/sample", "tokens/sample"]
    rows = []
    for s in report.summaries:
        row = [s.label]
        row += [_interval(s.pass_at_k[k]) if k in s.pass_at_k else "-" for k in ks]
        row += [_interval(s.secure_pass_at_k[k]) if k in s.secure_pass_at_k else "-" for k in ks]
        row += [f"${s.per_sample_cost_usd:.4f}", _tokens(round(s.per_sample_tokens))]
        rows.append(row)
    return headers, rows


def comparison_table(comparisons: list[Comparison]) -> tuple[list[str], list[list[str]]]:
    headers = ["a vs b", "metric", "task", "a", "b", "difference [95%]", "verdict"]
    rows = []
    for c in comparisons:
        for t in c.tasks:
            diff = t.difference
            rows.append(
                [
                    f"{c.a} vs {c.b}",
                    c.metric,
                    t.task_id,
                    f"{t.a[0]}/{t.a[1]}",
                    f"{t.b[0]}/{t.b[1]}",
                    f"{diff.value:+.2f} [{diff.low:+.2f}, {diff.high:+.2f}]",
                    t.verdict,
                ]
            )
        o = c.overall
        rows.append(
            [
                f"{c.a} vs {c.b}",
                c.metric,
                "(all tasks)",
                "",
                "",
                f"{o.value:+.2f} [{o.low:+.2f}, {o.high:+.2f}]",
                c.verdict,
            ]
        )
    return headers, rows


def capability_rows(report: EvalReport) -> list[list[str]]:
    return [
        [s.label, cap, _interval(p), _interval(sec)]
        for s in report.summaries
        for cap, (p, sec) in s.capabilities.items()
    ]


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
    if report.samples > 1:
        lines += [
            "## pass@k, 95% intervals (k=1 Wilson; k>1 bootstrap)",
            "",
        ]
        lines += [_md_table(*pass_at_k_table(report)), ""]
    lines += ["## Per capability (95% Wilson interval over runs)", ""]
    if chart_name:
        lines += [f"![per capability]({Path(chart_name).stem}-capabilities.png)", ""]
    lines += [
        _md_table(["variant", "capability", "pass", "secure pass"], capability_rows(report)),
        "",
    ]
    comparisons = report.comparisons()
    if comparisons:
        lines += ["## Paired differences (first variant minus the other)", ""]
        lines += [_md_table(*comparison_table(comparisons)), ""]
    grid = report.grid()
    labels = [s.label for s in report.summaries]
    lines += ["## Model-by-task grid", ""]
    lines += [
        _md_table(
            ["task", *labels], [[task, *(grid[task].get(v, "-") for v in labels)] for task in grid]
        ),
        "",
    ]
    cwes = report.cwe_rows()
    lines += ["## CWEs found", ""]
    if cwes:
        lines += [_md_table(["CWE", *labels, "tasks"], cwes), ""]
    else:
        lines += ["No security check found a CWE.", ""]
    not_run = [(r, name) for r in report.results for name in r.not_run]
    if not_run:
        lines += ["Checks not run here (never counted as passed):", ""]
        lines += [f"- `{r.task_id}` ({r.variant} #{r.sample}): {name}" for r, name in not_run]
        lines.append("")
    proven = [r for r in report.results if r.red_green]
    if proven:
        lines += ["## Tests proven red before green", ""]
        lines += [
            "Each test the agent added, run against the code before its run and after: "
            "proven when it failed before and passes after.",
            "",
        ]
        rows = [
            [
                f"`{r.task_id}`",
                r.variant,
                str(r.sample),
                str(sum(1 for e in r.red_green if e["red"] and e["green"])),
                str(len(r.red_green)),
                str(sum(1 for e in r.red_green if not e["red"])),
                str(sum(1 for e in r.red_green if not e["green"])),
            ]
            for r in proven
        ]
        headers = ["task", "variant", "sample", "proven", "tests", "passed before", "fail after"]
        lines += [_md_table(headers, rows), ""]
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
    errors = [
        (
            (s.pass_at_k[1].low, s.pass_at_k[1].high),
            (s.secure_pass_at_k[1].low, s.secure_pass_at_k[1].high),
        )
        if 1 in s.pass_at_k
        else None
        for s in report.summaries
    ]
    write_bar_chart(chart, groups, errors=errors)
    multi = len(report.summaries) > 1
    caps = [
        (
            f"{s.label}: {cap}" if multi else cap,
            p.value,
            sec.value,
            ((p.low, p.high), (sec.low, sec.high)),
        )
        for s in report.summaries
        for cap, (p, sec) in s.capabilities.items()
    ]
    if caps:
        write_bar_chart(
            chart.with_name(f"{chart.stem}-capabilities.png"),
            [c[:3] for c in caps],
            "per capability - 95% intervals",
            errors=[c[3] for c in caps],
        )
    path.write_text(render_markdown(report, chart.name), encoding="utf-8")
    return path, chart
