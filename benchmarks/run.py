"""`make bench`: run every benchmark side by side and write `benchmarks/RESULTS.md`.

    .venv/bin/python benchmarks/run.py                 # everything (about a quarter hour)
    .venv/bin/python benchmarks/run.py --only startup,loop --quick

A benchmark that fails is reported in RESULTS.md with its error and the exit status is 1;
a missed target is a result, not a failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(REPO))

from benchmarks import (  # noqa: E402  (after the path fix above)
    bench_app_host,
    bench_dask,
    bench_eval,
    bench_live_check,
    bench_loop,
    bench_notebooks,
    bench_project_check,
    bench_sandbox,
    bench_sessions,
    bench_startup,
)
from benchmarks.common import BenchResult, load_average, machine_info  # noqa: E402

KEYS = (
    "startup",
    "loop",
    "live_check",
    "project_check",
    "app_host",
    "project_pytest",
    "notebooks",
    "notebook_breakdown",
    "eval",
    "dask",
    "sessions",
    "sandbox",
)
RESULTS = REPO / "benchmarks" / "RESULTS.md"
JSON_OUT = REPO / "benchmarks" / "out" / "results.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(KEYS)}")
    parser.add_argument("--quick", action="store_true", help="tiny repeat counts (a smoke run)")
    parser.add_argument("--startup-repeats", type=int, default=20)
    parser.add_argument("--loop-repeats", type=int, default=31)
    parser.add_argument("--live-repeats", type=int, default=7)
    parser.add_argument("--notebook-repeats", type=int, default=3)
    parser.add_argument("--eval-repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="parallel notebook workers")
    parser.add_argument(
        "--notebooks", help="comma-separated notebook number prefixes (default: all)"
    )
    parser.add_argument("--eval-tasks", help="comma-separated eval task ids (default: all)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the Markdown file")
    parser.add_argument("--json", type=Path, default=JSON_OUT, help="the raw results")
    args = parser.parse_args(argv)
    keys = [k.strip() for k in (args.only or ",".join(KEYS)).split(",") if k.strip()]
    unknown = [k for k in keys if k not in KEYS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(KEYS)}")
    args.keys = keys
    if args.quick:
        args.startup_repeats, args.loop_repeats, args.live_repeats = 3, 2, 2
        args.notebook_repeats = args.eval_repeats = 1
    return args


def plan(args: argparse.Namespace) -> dict[str, Callable[[], BenchResult]]:
    notebooks = None
    if args.notebooks:
        prefixes = tuple(p.strip() for p in args.notebooks.split(",") if p.strip())
        notebooks = [nb for nb in bench_notebooks.suite() if nb.name.startswith(prefixes)]
    loop_sessions = bench_loop.SESSIONS
    if args.quick:
        loop_sessions = tuple((label, 3, payload) for label, _, payload in loop_sessions)
    return {
        "startup": lambda: bench_startup.run(args.startup_repeats),
        "loop": lambda: bench_loop.run(args.loop_repeats, loop_sessions),
        "live_check": lambda: bench_live_check.run(
            args.live_repeats, (0, 1, 10) if args.quick else bench_live_check.SIZES
        ),
        "project_check": lambda: bench_project_check.run(
            args.live_repeats, (0, 10) if args.quick else bench_project_check.SIZES
        ),
        "app_host": lambda: bench_app_host.run_host(
            args.live_repeats, (0, 10) if args.quick else bench_app_host.SIZES
        ),
        "project_pytest": lambda: bench_app_host.run_pytest(args.live_repeats),
        "notebooks": lambda: bench_notebooks.run(args.notebook_repeats, notebooks, args.workers),
        "notebook_breakdown": lambda: bench_notebooks.breakdown(notebooks, args.workers),
        "eval": lambda: bench_eval.run(args.eval_repeats, args.eval_tasks),
        "dask": lambda: bench_dask.run(args.eval_repeats, args.eval_tasks),
        "sessions": lambda: bench_sessions.run(3 if args.quick else 15),
        "sandbox": lambda: bench_sandbox.run(3 if args.quick else 15),
    }


def failed(key: str, exc: BaseException) -> BenchResult:
    return BenchResult(
        key=key,
        title=key,
        target="",
        headline=f"FAILED: {type(exc).__name__}: {exc}"[:300],
        verdict="error",
        notes=["```\n" + "".join(traceback.format_exception(exc))[-1500:] + "```"],
    )


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    def clean(cell: str) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(clean(h) for h in headers) + " |"]
    lines.append("|" + "|".join(" --- " for _ in headers) + "|")
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return lines


def render(results: list[BenchResult], machine: dict, started: dict, finished: dict) -> str:
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    out = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`benchmarks/run.py`) on {started['date']}, in "
        f"{finished['minutes']:.1f} min. What each benchmark measures, and what the numbers "
        "led to, is in [README.md](README.md). Ratios are measured side by side in this one "
        "run, medians over interleaved repeats; compare ratios, not seconds, across machines.",
        "",
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores; {machine['platform']}",
        f"- Python {machine['python']}; {packages}",
        f"- Load average (1 / 5 / 15 min) at the start: {started['load']}; at the end: "
        f"{finished['load']}",
        "",
        "## Summary",
        "",
    ]
    marks = {"met": "met", "missed": "**missed**", "info": "-", "unavailable": "TODO"}
    out += table(
        ["benchmark", "target", "result", "verdict", "load at its start (1 / 5 / 15 min)"],
        [
            [
                r.title,
                r.target or "-",
                r.headline,
                marks.get(r.verdict, f"**{r.verdict}**"),
                r.data.get("load_average_at_start", "-"),
            ]
            for r in results
        ],
    )
    for result in results:
        out += ["", f"## {result.title}", "", f"Target: {result.target or '-'}. "
                f"Result: {result.headline} ({result.verdict}).", ""]  # fmt: skip
        if result.rows:
            out += table(result.headers, result.rows)
            out.append("")
        for note in result.notes:
            out.append(note if note.startswith("```") else f"- {note}")
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    began = time.monotonic()
    started = {"date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "load": load_average()}
    print(f"benchmarks: {', '.join(args.keys)}; load average {started['load']}", flush=True)
    runs = plan(args)
    results: list[BenchResult] = []
    for key in args.keys:
        load = load_average()
        print(f"-- {key} (load average {load}) ...", flush=True)
        t0 = time.monotonic()
        try:
            result = runs[key]()
        except Exception as exc:  # one broken benchmark must not hide the others
            result = failed(key, exc)
        took = time.monotonic() - t0
        result.data.setdefault("load_average_at_start", load)
        result.data.setdefault("minutes", round(took / 60, 1))
        results.append(result)
        print(f"   {result.headline} [{result.verdict}] ({took:.0f} s)", flush=True)
    finished = {"load": load_average(), "minutes": (time.monotonic() - began) / 60}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(results, machine, started, finished), encoding="utf-8")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": machine,
        "started": started,
        "finished": finished,
        "results": [r.to_dict() for r in results],
    }
    args.json.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    print(f"wrote {args.output} and {args.json}", flush=True)
    return 1 if any(r.verdict == "error" for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
