"""The Dask executor: replay throughput on a LocalCluster, and its own overhead per task.

Throughput: the replay suite as `python -m agent_kernel.evals --mode replay --json`, once
with `--executor local --jobs 1` and once with `--executor dask --jobs 2` (a LocalCluster of
2 process workers, 1 thread each), alternating, timed from outside; the cluster's start-up
is part of the Dask side's time. Target: at least 1.6x the tasks per minute.

Overhead: the same jobs (every suite task, several samples) through `run_dask` on a
one-worker LocalCluster with a job runner that does no work, against calling that runner
on the same shipped specs directly; the difference per job is what the executor itself
costs (building the spec, shipping it, scheduling, the result's way back). Target: < 50 ms.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from .bench_eval import run_eval
from .common import BenchResult, median, ratio, seconds

THROUGHPUT_TARGET = 1.6
OVERHEAD_TARGET_MS = 50.0
OVERHEAD_SAMPLES = 4
TIMEOUT = 3600


def _run_eval(executor: str, jobs: int, tasks: str | None) -> tuple[float, dict[str, Any]]:
    done = run_eval(jobs, tasks, executor=executor)
    return done["wall_s"], done["report"]


def idle_job(spec: dict[str, Any]) -> dict[str, Any]:
    """A job runner that does nothing but answer: what is left is the executor's cost."""
    from agent_kernel.evals.runner import TaskResult

    task = spec["task"]
    return TaskResult(task["id"], "", "", spec["variant"]["label"], spec["sample"]).to_dict()


def overhead_ms(jobs_per_task: int = OVERHEAD_SAMPLES) -> tuple[float, float, int]:
    """(executor ms per job, cluster start-up s, jobs) on a one-worker LocalCluster."""
    import cloudpickle

    from agent_kernel.evals import executors
    from agent_kernel.evals.runner import EvalConfig, Variant
    from agent_kernel.evals.suite import load_suite

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    tasks = load_suite(None)
    config = EvalConfig(mode="replay")
    planned = executors.plan_jobs(tasks, [Variant("default")], jobs_per_task)
    started = time.perf_counter()
    for job in planned:
        idle_job(executors.job_spec(job, config))
    direct = time.perf_counter() - started
    with executors.dask_client(None, 1) as client:
        # The first job imports the runner on the worker: start-up, not per-task cost.
        client.submit(idle_job, executors.job_spec(planned[0], config), pure=False).result()
        startup = time.perf_counter() - started - direct
        begin = time.perf_counter()
        for job in planned:  # one at a time, as the throttle of one slot does
            client.submit(idle_job, executors.job_spec(job, config), pure=False).result()
        shipped = time.perf_counter() - begin
    return (shipped - direct) / len(planned) * 1000, startup, len(planned)


def run(repeats: int = 1, tasks: str | None = None) -> BenchResult:
    walls: dict[str, list[float]] = {"local": [], "dask": []}
    counts: dict[str, int] = {}
    secure: dict[str, int] = {}
    sides = (("local", 1), ("dask", 2))
    for round_ in range(repeats):
        for executor, jobs in sides if round_ % 2 == 0 else tuple(reversed(sides)):
            wall, report = _run_eval(executor, jobs, tasks)
            walls[executor].append(wall)
            results = report.get("tasks") or []
            counts[executor] = len(results)
            secure[executor] = sum(1 for r in results if r.get("secure_pass"))
    local, dask = median(walls["local"]), median(walls["dask"])
    speedup = ratio(local, dask)
    overheads, startups, njobs = [], [], 0
    for _ in range(max(1, repeats)):
        ms, startup, njobs = overhead_ms()
        overheads.append(ms)
        startups.append(startup)
    overhead = median(overheads)
    met = speedup >= THROUGHPUT_TARGET and overhead < OVERHEAD_TARGET_MS
    return BenchResult(
        key="dask",
        title="Dask executor: LocalCluster throughput and per-task overhead",
        target=f">= {THROUGHPUT_TARGET}x the local executor's throughput with 1 job; "
        f"< {OVERHEAD_TARGET_MS:.0f} ms overhead per task",
        headline=f"2 Dask workers {speedup:.2f}x the tasks per minute of 1 local job; "
        f"executor overhead {overhead:.1f} ms per task",
        verdict="met" if met else "missed",
        headers=["executor", "suite wall time", "tasks per minute", "tasks (secure-pass)"],
        rows=[
            [
                f"{name} ({jobs} job{'s' if jobs > 1 else ''})",
                seconds(median(walls[name])),
                f"{counts[name] / median(walls[name]) * 60:.1f}",
                f"{counts[name]} ({secure[name]})",
            ]
            for name, jobs in sides
        ],
        notes=[
            f"Throughput: median of {repeats} run(s) per side, alternating; the Dask side "
            "includes starting its LocalCluster (2 process workers, 1 thread each).",
            f"Overhead: {njobs} idle jobs (every task, {OVERHEAD_SAMPLES} samples) on a "
            f"one-worker LocalCluster, one in flight at a time, minus the same runner called "
            f"directly; median {overhead:.1f} ms of runs "
            f"{', '.join(f'{v:.1f}' for v in overheads)}; "
            f"cluster start-up {median(startups):.1f} s (not counted per task).",
        ],
        data={
            "walls": walls,
            "speedup": speedup,
            "overhead_ms": overheads,
            "startup_s": startups,
        },
    )
