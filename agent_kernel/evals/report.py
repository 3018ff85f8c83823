"""Reports of an evaluation: a terminal table, a JSON object, Markdown with a PNG chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chart import write_bar_chart
from .runner import TaskResult
from .scoring import Comparison, VariantSummary, compare, tallies
from .stats import FEW_TASKS, INTERVAL_METHOD

MAX_FAILURES_SHOWN = 3
LEADERBOARD_NOTE = (
    "Reading these against the BaxBench leaderboard: its pass@1 and sec_pass@1 come from "
    "one-shot generation (prompt oneshot), OpenAPI specs, no safety prompt, temperature "
    "0.2, each app in Docker on BaxBench's pinned packages, over all its scenarios; a run "
    "that differs in any of these (the agent prompt, a safety prompt, other package "
    "versions, a subset of scenarios, scripted answers) measures something else and sits "
    "beside the leaderboard only as that."
)


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
    meta: dict[str, Any] = field(default_factory=dict)  # what a BaxBench run measures

    def measured(self) -> dict[str, Any]:
        """What was measured: the settings, the models, the date, the samples, the caveats."""
        scored = [r for r in self.results if r.status != "skipped"]
        sources = sorted({r.source for r in scored if r.source})
        models = sorted({r.model for r in scored if r.model})
        variant_models = [s.model for s in self.summaries if s.model]
        head: dict[str, Any] = dict(self.meta)
        head.update(
            models=models or variant_models or ["default"],
            date=self.date,
            samples=self.samples,
            mode=self.mode,
            answers=", ".join(sources) or "none",
            tasks=len({r.task_id for r in scored}),
            interval_method=INTERVAL_METHOD,
            skipped=[f"{r.task_id}: {r.error}" for r in self.results if r.status == "skipped"],
        )
        warnings = []
        if head["tasks"] < FEW_TASKS:
            warnings.append(
                f"the intervals rest on {head['tasks']} task(s), fewer than {FEW_TASKS}: "
                "read them as rough"
            )
        unmeasured = sum(s.secure_unmeasured for s in self.summaries)
        if unmeasured:
            warnings.append(
                f"{unmeasured} run(s) passed with no security test run: security not "
                "measured, left out of secure-pass"
            )
        if "scripted" in sources:
            warnings.append("scripted answers: the scores test the harness, not a model")
        head["warnings"] = warnings
        if self.kind == "baxbench":
            head["reading"] = LEADERBOARD_NOTE
        return head

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
                        f"{row.passed}/{row.n} pass, {row.secure}/{row.measured} secure"
                        + (f" ({row.unmeasured} not measured)" if row.unmeasured else "")
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
            "measured": self.measured(),
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


def _cost(value: float, scripted: bool) -> str:
    """A cost, or "-" for scripted answers (written, not bought: they cost nothing)."""
    return "-" if scripted else f"${value:.4f}"


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
                _cost(r.cost_usd, r.source == "scripted"),
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


def _all_scripted(report: EvalReport, variant: str) -> bool:
    runs = [r for r in report.results if r.variant == variant and r.status != "skipped"]
    return bool(runs) and all(r.source == "scripted" for r in runs)


def _secure_cell(s: VariantSummary) -> str:
    cell = f"{s.secure}/{s.secure_scored} {_pct(s.secure_pass_at_1)}"
    if s.secure_unmeasured:
        cell += f" ({s.secure_unmeasured} not measured)"
    return cell


def summary_rows(report: EvalReport) -> list[list[str]]:
    return [
        [
            s.label,
            f"{s.passed}/{s.scored} {_pct(s.pass_at_1)}",
            _secure_cell(s),
            str(s.errors + s.timeouts),
            str(s.turns),
            _tokens(s.total_tokens),
            _tokens(s.cache_read_tokens),
            _cost(s.cost_usd, _all_scripted(report, s.label)),
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
        parts += ["", f"== pass@k ({INTERVAL_METHOD})"]
        parts.append(_table(*pass_at_k_table(report)))
    comparisons = report.comparisons()
    if comparisons:
        parts += ["", "== paired differences (first variant minus the other, 95% interval)"]
        parts.append(_table(*comparison_table(comparisons)))
    cwes = report.cwe_rows()
    if cwes:
        parts += ["", "== CWEs found (runs)"]
        parts.append(_table(["CWE", *(s.label for s in report.summaries), "tasks"], cwes))
    parts.extend(measured_lines(report))
    parts.append(
        f"suite {report.suite} · mode {report.mode} · session {report.session} · "
        f"{report.jobs} job(s) · {report.wall_s:.1f}s"
    )
    if report.mode == "replay":
        parts.append(REPLAY_NOTE)
    return "\n".join(parts)


def measured_lines(report: EvalReport) -> list[str]:
    """What was measured, a line each (BaxBench settings first), then the warnings."""
    head = report.measured()
    lines = []
    if report.kind == "baxbench":
        packages = head.get("packages", {})
        lines += [
            f"BaxBench commit {head.get('baxbench_commit')} · prompt {head.get('prompt')} · "
            f"safety prompt {head.get('safety_prompt')} · {head.get('framework')} · "
            f"spec {head.get('spec')}",
            f"apps: {head.get('app_start')}; {head.get('container')}",
            f"packages: {packages.get('environment')}, Python {packages.get('python')} "
            f"(BaxBench: {packages.get('baxbench_python')}); "
            + (
                f"{len(packages.get('differences', []))} differ from BaxBench's pins"
                if packages.get("differences")
                else "all as BaxBench pins them"
            ),
        ]
    lines.append(
        f"models {', '.join(head['models'])} · answers {head['answers']} · {head['date']} · "
        f"{head['samples']} sample(s) · {head['tasks']} task(s)"
    )
    lines += [f"skipped (never scored): {item}" for item in head["skipped"]]
    lines += [f"warning: {item}" for item in head["warnings"]]
    if head.get("reading"):
        lines.append(head["reading"])
    return lines


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
        row += [
            _cost(s.per_sample_cost_usd, _all_scripted(report, s.label)),
            _tokens(round(s.per_sample_tokens)),
        ]
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
    lines += ["## What was measured", ""]
    lines += markdown_measured(report)
    if chart_name:
        lines += [f"![pass@1 and secure-pass@1]({chart_name})", ""]
    lines += ["## Comparison" if len(report.summaries) > 1 else "## Overall", ""]
    lines += [_md_table(SUMMARY_HEADERS, summary_rows(report)), ""]
    if report.samples > 1:
        lines += [f"## pass@k ({INTERVAL_METHOD})", ""]
        lines += [_md_table(*pass_at_k_table(report)), ""]
    lines += [f"## Per capability ({INTERVAL_METHOD}, k=1)", ""]
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
    not_run = [(r, name, why) for r in report.results for name, why in r.not_run_reasons]
    if not_run:
        lines += ["Checks not run here (never counted as passed), and why:", ""]
        lines += [
            f"- `{r.task_id}` ({r.variant} #{r.sample}): {name}: {why or 'no reason given'}"
            for r, name, why in not_run
        ]
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


def markdown_measured(report: EvalReport) -> list[str]:
    head = report.measured()
    lines = []
    if report.kind == "baxbench":
        keys = ("baxbench_commit", "prompt", "temperature", "safety_prompt", "spec", "framework")
        for key in keys:
            lines.append(f"- {key.replace('_', ' ')}: `{head.get(key)}`")
        lines.append(f"- apps: {head.get('app_start')}; {head.get('container')}")
        packages = head.get("packages", {})
        lines.append(
            f"- packages: {packages.get('environment')}, Python {packages.get('python')} "
            f"(BaxBench: {packages.get('baxbench_python')})"
        )
    lines.append(f"- models: {', '.join(head['models'])} (answers: {head['answers']})")
    lines.append(f"- date: {head['date']}; samples: {head['samples']}; tasks: {head['tasks']}")
    lines.append(f"- intervals: {head['interval_method']}")
    lines += [f"- skipped, never scored: {item}" for item in head["skipped"]]
    lines += [f"- **warning**: {item}" for item in head["warnings"]]
    lines.append("")
    if head.get("reading"):
        lines += [head["reading"], ""]
    rows = head.get("packages", {}).get("versions") if report.kind == "baxbench" else None
    if rows:
        lines += ["Packages the apps ran on, beside BaxBench's pins:", ""]
        lines += [
            _md_table(
                ["package", "BaxBench pins", "the apps ran on"],
                [[r["package"], r["baxbench"] or "any", r["installed"] or "missing"] for r in rows],
            ),
            "",
        ]
    return lines


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
