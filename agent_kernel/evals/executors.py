"""Where the runs happen: local threads, or a `dask.distributed` cluster.

Both take the same jobs (task x variant x sample) and stream results back as they finish,
with at most `max_concurrency` runs of one model in flight (API rate limits are per model).
A Dask job travels as plain data (the task's prompt and files, the variant, the settings;
never a live object) and is rebuilt on the worker by `run_spec`; a worker that dies is
reported for its job while the others go on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import sys
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .runner import EvalConfig, TaskResult, Variant, run_task
from .suite import SHARED_CONFTEST, load_task

EXECUTORS = ("local", "dask")
Progress = Callable[[str, TaskResult | None, Any, Variant], None]


@dataclass(frozen=True)
class Job:
    """One run to make: a task for a variant, sample number `sample` (from 1)."""

    task: Any
    variant: Variant
    sample: int = 1

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.task.id, self.variant.label, self.sample)

    @property
    def model(self) -> str:
        return self.variant.model or "default"


def plan_jobs(
    tasks: list[Any],
    variants: list[Variant],
    samples: int = 1,
    done: set[tuple[str, str, int]] | None = None,
) -> list[Job]:
    """Every job in variant, task, sample order, leaving out those already scored (`done`)."""
    done = done or set()
    jobs = [
        Job(task, variant, sample)
        for variant in variants
        for task in tasks
        for sample in range(1, samples + 1)
    ]
    return [job for job in jobs if job.key not in done]


def parse_executor(value: str) -> tuple[str, str | None]:
    """`local`, `dask` or `dask:ADDRESS` -> (kind, address); ValueError otherwise."""
    kind, _, address = value.partition(":")
    kind = kind.strip().lower()
    if kind not in EXECUTORS or (kind == "local" and address):
        raise ValueError(f"--executor must be local, dask or dask:ADDRESS (got {value!r})")
    return kind, (address.strip() or None) if kind == "dask" else None


class _Throttle:
    """Which job may start next: at most `cap` in flight per model, `slots` in all."""

    def __init__(self, jobs: list[Job], slots: int, cap: int | None) -> None:
        self.pending = list(jobs)
        self.slots, self.cap = max(1, slots), cap
        self.running: Counter[str] = Counter()

    def take(self) -> Iterator[Job]:
        while self.pending and sum(self.running.values()) < self.slots:
            index = next(
                (
                    i
                    for i, job in enumerate(self.pending)
                    if self.cap is None or self.running[job.model] < self.cap
                ),
                None,
            )
            if index is None:
                return
            job = self.pending.pop(index)
            self.running[job.model] += 1
            yield job

    def finished(self, job: Job) -> None:
        self.running[job.model] -= 1


def failed_result(job: Job, message: str) -> TaskResult:
    task = job.task
    result = TaskResult(task.id, task.capability, task.title, job.variant.label, sample=job.sample)
    result.status, result.error = "error", message
    return result


def run_local(
    jobs: list[Job],
    config: EvalConfig,
    *,
    workers: int,
    max_concurrency: int | None,
    agents: dict[str, Any],
    notify: Progress,
) -> Iterator[tuple[Job, TaskResult]]:
    """Today's executor: threads in this process, the live agent objects shared."""
    throttle = _Throttle(jobs, workers, max_concurrency)

    def one(job: Job) -> TaskResult:
        notify("start", None, job.task, job.variant)
        return run_task(job.task, job.variant, config, agents.get(job.variant.label), job.sample)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="eval") as pool:
        running: dict[Future[TaskResult], Job] = {}
        while throttle.pending or running:
            for job in throttle.take():
                running[pool.submit(one, job)] = job
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                throttle.finished(job)
                try:
                    result = future.result()
                except Exception as exc:
                    result = failed_result(job, f"{type(exc).__name__}: {exc}")
                yield job, result


# -- Dask -----------------------------------------------------------------------------------


def job_spec(job: Job, config: EvalConfig) -> dict[str, Any]:
    """The job as plain data: what a worker on another machine needs, and nothing live."""
    task = job.task
    if hasattr(task, "to_spec"):
        task_spec = task.to_spec(config.session)
    else:
        files = {
            f"{task.id}/{path.relative_to(task.path).as_posix()}": path.read_text("utf-8")
            for path in sorted(task.path.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        }
        shared = task.path.parent / SHARED_CONFTEST
        if shared.is_file():
            files[SHARED_CONFTEST] = shared.read_text("utf-8")
        task_spec = {"kind": "suite", "id": task.id, "files": files}
    variant = job.variant
    settings = dataclasses.asdict(config)
    settings["history_dir"] = str(config.history_dir) if config.history_dir else None
    return {
        "task": task_spec,
        "variant": {
            "label": variant.label,
            "model": variant.model,
            "agent_text": variant.agent_path.read_text("utf-8") if variant.agent_path else None,
            "agent_name": variant.agent_path.name if variant.agent_path else None,
        },
        "config": settings,
        "sample": job.sample,
    }


def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one shipped job on a worker: rebuild the task, run it, return the result as data."""
    root = Path(tempfile.mkdtemp(prefix="workbench-eval-job-"))
    try:
        task_spec = spec["task"]
        if task_spec["kind"] == "suite":
            for rel, text in task_spec["files"].items():
                target = root / "suite" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            task: Any = load_task(root / "suite" / task_spec["id"])
        else:
            from .baxbench import BaxTask

            task = BaxTask.from_spec(task_spec, root / "sessions")
        shipped = spec["variant"]
        agent_path = None
        if shipped["agent_text"] is not None:
            agent_path = root / "agents" / shipped["agent_name"]
            agent_path.parent.mkdir(parents=True)
            agent_path.write_text(shipped["agent_text"], encoding="utf-8")
        variant = Variant(shipped["label"], shipped["model"], agent_path)
        settings = dict(spec["config"])
        if settings.get("history_dir"):
            settings["history_dir"] = Path(settings["history_dir"])
        config = EvalConfig(**settings)
        return run_task(task, variant, config, sample=spec["sample"]).to_dict()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def dask_client(address: str | None, workers: int) -> Iterator[Any]:
    """A client on the scheduler at `address`, or on a LocalCluster of process workers.

    The local cluster lets a job fail on no more than one worker (`allowed-failures: 0`),
    so a job that kills its worker is reported at once instead of killing three. On Linux
    its workers are forked from this process once the runner's stack (the SDK, the
    workbench, FastAPI) is imported, so none of them spends seconds importing it again.
    """
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise RuntimeError(f"--executor dask needs dask[distributed] ({exc})") from exc
    if address:
        with Client(address, timeout="30s") as client:
            yield client
        return
    settings: dict[str, Any] = {"distributed.scheduler.allowed-failures": 0}
    if sys.platform.startswith("linux"):
        import anthropic  # noqa: F401  (inherited by the forked workers)

        from .. import workbench  # noqa: F401

        settings["distributed.worker.multiprocessing-method"] = "fork"
    with (
        dask.config.set(settings),
        LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run_dask(
    jobs: list[Job],
    config: EvalConfig,
    *,
    address: str | None,
    workers: int,
    max_concurrency: int | None,
    notify: Progress,
    run: Callable[[dict[str, Any]], dict[str, Any]] = run_spec,
) -> Iterator[tuple[Job, TaskResult]]:
    """Ship each job to the cluster as data; results come back as each one finishes."""
    from distributed import as_completed

    with dask_client(address, workers) as client:
        slots = workers
        if address is not None:  # as many in flight as the cluster has threads, at least --jobs
            threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
            slots = max(workers, threads)
        throttle = _Throttle(jobs, slots, max_concurrency)
        futures: dict[str, Job] = {}
        stream = as_completed()

        def submit() -> None:
            for job in throttle.take():
                notify("start", None, job.task, job.variant)
                key = f"eval-{job.task.id}-{job.sample}-{uuid.uuid4().hex[:8]}"
                future = client.submit(run, job_spec(job, config), key=key, pure=False)
                futures[future.key] = job
                stream.add(future)

        submit()
        for future in stream:
            job = futures.pop(future.key)
            throttle.finished(job)
            try:
                result = TaskResult.from_dict(future.result())
            except Exception as exc:
                name = type(exc).__name__
                if name == "KilledWorker":
                    message = f"the Dask worker running this task died ({name}); the others went on"
                else:
                    message = f"{name} on the Dask worker: {exc}"
                result = failed_result(job, message)
            submit()
            yield job, result


def run_suite(
    tasks: list[Any],
    variants: list[Variant],
    config: EvalConfig,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    agents: dict[str, Any] | None = None,
    samples: int = 1,
    executor: str = "local",
    max_concurrency: int | None = None,
    done: list[TaskResult] | None = None,
    run: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> list[TaskResult]:
    """Every task for every variant, `samples` times; results in variant, task, sample order.

    `done` holds results already scored (a resumed report): they are kept, not re-run.
    """
    kind, address = parse_executor(executor)
    kept = {result.key: result for result in done or []}
    planned = plan_jobs(tasks, variants, samples, set(kept))
    lock = threading.Lock()

    def notify(event: str, result: TaskResult | None, task: Any, variant: Variant) -> None:
        if progress is not None:
            # A display glitch must not end the run.
            with lock, contextlib.suppress(Exception):
                progress(event, result, task, variant)

    if kind == "local":
        # The SDK is imported once here: many threads racing through a first import is slow.
        import anthropic  # noqa: F401

        stream = run_local(
            planned,
            config,
            workers=jobs,
            max_concurrency=max_concurrency,
            agents=agents or {},
            notify=notify,
        )
    else:
        stream = run_dask(
            planned,
            config,
            address=address,
            workers=jobs,
            max_concurrency=max_concurrency,
            notify=notify,
            run=run or run_spec,
        )
    results = dict(kept)
    for job, result in stream:
        results[job.key] = result
        notify("done", result, job.task, job.variant)
    order = plan_jobs(tasks, variants, samples)
    return [results[job.key] for job in order if job.key in results]
