"""Replay throughput of `workbench eval`: the whole suite offline with 1 and with 2 jobs.

Each run is `python -m agent_kernel.evals --mode replay --jobs N --json` in a fresh process
(offline environment), timed from outside; the JSON on its last stdout line says how many
tasks ran and how they scored. The two job counts alternate, so they share the machine.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import REPO, BenchResult, median, offline_env, ratio, seconds

JOBS = (1, 2)
TIMEOUT = 3600


def available(suite: Path = REPO / "evals") -> str:
    """'' when `workbench eval` can run here, else why not."""
    if importlib.util.find_spec("agent_kernel.evals") is None:
        return "agent_kernel/evals/ is not there yet"
    if not suite.is_dir():
        return f"{suite.name}/ (the task suite) is not there yet"
    return ""


def run_eval(jobs: int, tasks: str | None = None, executor: str = "local") -> dict[str, Any]:
    """One replay of the suite; wall seconds and the parsed JSON report."""
    with tempfile.TemporaryDirectory(prefix="bench-eval-") as history:
        argv = [sys.executable, "-m", "agent_kernel.evals", "--mode", "replay"]
        argv += ["--executor", executor, "--jobs", str(jobs), "--json", "--history", history]
        if tasks:
            argv += ["--tasks", tasks]
        started = time.perf_counter()
        done = subprocess.run(
            argv,
            cwd=REPO,
            env=offline_env(WORKBENCH_HISTORY=history),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"workbench eval exited {done.returncode}: {done.stderr[-600:]}")
    return {"wall_s": wall, "report": json.loads(lines[-1])}


def _tasks_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    tasks = report.get("tasks")
    return tasks if isinstance(tasks, list) else []


def run(repeats: int = 1, tasks: str | None = None) -> BenchResult:
    missing = available()
    if missing:
        return BenchResult(
            key="eval",
            title="`workbench eval` replay throughput",
            target="none (throughput with 1 and 2 jobs)",
            headline=f"not available yet: {missing}",
            verdict="unavailable",
            notes=[f"TODO: re-run `make bench` once {missing.split(' is ')[0]} exists."],
        )
    walls: dict[int, list[float]] = {jobs: [] for jobs in JOBS}
    counts: dict[int, int] = {jobs: 0 for jobs in JOBS}
    scored: dict[int, str] = {}
    for round_ in range(repeats):
        order = JOBS if round_ % 2 == 0 else tuple(reversed(JOBS))
        for jobs in order:
            outcome = run_eval(jobs, tasks)
            walls[jobs].append(outcome["wall_s"])
            results = _tasks_of(outcome["report"])
            counts[jobs] = len(results)
            crashed = sum(1 for r in results if r.get("status") != "done")
            secure = sum(1 for r in results if r.get("secure_pass"))
            agent_s = sum(float(r.get("agent_s") or 0) for r in results)
            checks_s = sum(float(r.get("checks_s") or 0) for r in results)
            scored[jobs] = (
                f"{len(results)} tasks ({secure} secure-pass, {crashed} crashed or hung); "
                f"agent {agent_s:.0f} s + hidden checks {checks_s:.0f} s summed over tasks"
            )
    rows = []
    for jobs in JOBS:
        wall = median(walls[jobs])
        per_minute = counts[jobs] / wall * 60 if wall else float("nan")
        rows.append([str(jobs), seconds(wall), f"{per_minute:.1f}", scored[jobs]])
    speedup = ratio(median(walls[1]), median(walls[2]))
    return BenchResult(
        key="eval",
        title="`workbench eval` replay throughput",
        target="none (throughput with 1 and 2 jobs)",
        headline=f"2 jobs are {speedup:.2f}x as fast as 1 ({counts[2]} tasks)",
        verdict="info",
        headers=["jobs", "suite wall time", "tasks per minute", "tasks"],
        rows=rows,
        notes=[
            f"Median of {repeats} run(s) per job count, alternating; each run is a fresh "
            "`python -m agent_kernel.evals --mode replay --json` process.",
        ],
        data={"repeats": repeats, "walls": walls, "tasks": counts, "speedup": speedup},
    )
