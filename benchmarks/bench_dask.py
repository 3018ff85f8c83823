"""The Dask executor: replay throughput on a LocalCluster, and its own overhead per task.

Throughput: the replay suite as `python -m agent_kernel.evals --mode replay --json`, with
`--executor local --jobs 1`, and on Dask with 2 process workers (1 thread each) two ways,
alternating, timed from outside. The figure of record is throughput with the cluster up
(`--executor dask:ADDRESS` on a LocalCluster this benchmark started beforehand, as a team
keeps a cluster running); the cluster's start is measured on its own line. The one-shot
`--executor dask`, which starts its own cluster inside the timed run, is kept beside it.
Target: at least 1.6x the tasks per minute with the cluster up.

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


def cluster_up_runs(repeats: int, tasks: str | None) -> tuple[list[float], float, int, int]:
    """(walls, cluster start s, tasks, secure) of the suite on an already running cluster."""
    from agent_kernel.evals import executors

    started = time.perf_counter()
    with executors.dask_client(None, 2) as client:
        client.submit(sum, [1, 2], pure=False).result()  # the workers answer: it is up
        startup = time.perf_counter() - started
        address = client.scheduler.address
        walls, count, secure = [], 0, 0
        for _ in range(max(1, repeats)):
            wall, report = _run_eval(f"dask:{address}", 2, tasks)
            walls.append(wall)
            results = report.get("tasks") or []
            count = len(results)
            secure = sum(1 for r in results if r.get("secure_pass"))
    return walls, startup, count, secure


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
    up_walls, startup_s, counts["dask, cluster up"], secure["dask, cluster up"] = cluster_up_runs(
        repeats, tasks
    )
    walls["dask, cluster up"] = up_walls
    local, dask = median(walls["local"]), median(walls["dask"])
    speedup_with_start = ratio(local, dask)
    speedup = ratio(local, median(up_walls))
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
        target=f">= {THROUGHPUT_TARGET}x the local executor's throughput with 1 job, the "
        f"cluster up; < {OVERHEAD_TARGET_MS:.0f} ms overhead per task",
        headline=f"2 Dask workers, cluster up: {speedup:.2f}x the tasks per minute of 1 local "
        f"job ({speedup_with_start:.2f}x with the cluster's start in the run); cluster start "
        f"{startup_s:.1f} s; executor overhead {overhead:.1f} ms per task",
        verdict="met" if met else "missed",
        headers=["executor", "suite wall time", "tasks per minute", "tasks (secure-pass)"],
        rows=[
            [
                f"{name} ({jobs} job{'s' if jobs > 1 else ''})",
                seconds(median(walls[name])),
                f"{counts[name] / median(walls[name]) * 60:.1f}",
                f"{counts[name]} ({secure[name]})",
            ]
            for name, jobs in (*sides, ("dask, cluster up", 2))
        ]
        + [["cluster start (LocalCluster, 2 workers)", seconds(startup_s), "-", "-"]],
        notes=[
            f"Throughput: median of {repeats} run(s) per side. The figure of record is the "
            "cluster-up side (`--executor dask:ADDRESS` on a LocalCluster of 2 process "
            "workers started before the timed runs); its start is the row of its own. The "
            "`dask (2 jobs)` row starts its own LocalCluster inside the run, kept for "
            "comparison.",
            f"Overhead: {njobs} idle jobs (every task, {OVERHEAD_SAMPLES} samples) on a "
            f"one-worker LocalCluster, one in flight at a time, minus the same runner called "
            f"directly; median {overhead:.1f} ms of runs "
            f"{', '.join(f'{v:.1f}' for v in overheads)}; "
            f"cluster start-up {median(startups):.1f} s (not counted per task).",
        ],
        data={
            "walls": walls,
            "speedup": speedup,
            "speedup_with_start": speedup_with_start,
            "cluster_start_s": startup_s,
            "overhead_ms": overheads,
            "startup_s": startups,
        },
    )
