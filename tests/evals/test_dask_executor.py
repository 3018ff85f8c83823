"""The Dask executor: a real LocalCluster (2 process workers, 1 thread each).

Jobs travel as plain data; the scores must be the same as the local executor's, and a
worker that dies is reported for its task while the other tasks go on.
"""

from __future__ import annotations

import cloudpickle
import dask_jobs
import pytest
from eval_harness import run_eval

from agent_kernel.evals.executors import Job, job_spec, parse_executor, run_suite
from agent_kernel.evals.runner import EvalConfig, Variant
from agent_kernel.evals.suite import load_suite

TASKS = "rest_notes,auth_jwt,cors_headers,validation_signup"


def _scores(payload):
    return sorted(
        (t["task"], t["sample"], t["outcome"], t["functional"]["passed"], t["security"]["passed"])
        for t in payload["tasks"]
    )


def test_a_local_cluster_gives_the_same_scores_as_the_local_executor(offline):
    local = run_eval("--mode", "replay", "--tasks", TASKS, "--jobs", "1", "--json")
    dask = run_eval(
        "--mode", "replay", "--tasks", TASKS, "--jobs", "2", "--executor", "dask", "--json"
    )  # fmt: skip
    assert local.code == 0 and dask.code == 0, dask.err
    assert _scores(dask.payload) == _scores(local.payload)
    assert all(t["status"] == "done" for t in dask.payload["tasks"])
    assert dask.payload["executor"] == "dask"
    assert dask.err.count("[") >= 4  # results streamed back one line each, with progress
    assert "[4/4]" in dask.err


def test_a_killed_worker_is_reported_for_its_task_and_the_rest_go_on(offline):
    cloudpickle.register_pickle_by_value(dask_jobs)
    tasks = load_suite(None, TASKS.split(","))
    results = run_suite(
        tasks,
        [Variant("default")],
        EvalConfig(mode="replay"),
        jobs=2,
        executor="dask",
        run=dask_jobs.run_or_die,
    )
    by_task = {r.task_id: r for r in results}
    doomed = by_task.pop(dask_jobs.DOOMED_TASK)
    assert doomed.status == "error" and doomed.outcome == "error"
    assert "worker running this task died" in doomed.error
    assert {r.task_id: r.outcome for r in by_task.values()} == {
        "rest_notes": "secure",
        "auth_jwt": "secure",
        "validation_signup": "secure",
    }


def test_a_job_is_shipped_as_plain_data():
    (task,) = load_suite(None, ["rest_notes"])
    spec = job_spec(Job(task, Variant("default"), 2), EvalConfig(mode="replay"))
    assert spec["task"]["kind"] == "suite" and spec["sample"] == 2
    assert "rest_notes/task.yaml" in spec["task"]["files"]
    assert "rest_notes/sessions/reference.yaml" in spec["task"]["files"]
    assert any(name.startswith("rest_notes/hidden/test_") for name in spec["task"]["files"])
    assert spec["config"]["mode"] == "replay"
    # Nothing live: it round-trips through JSON-compatible types only.
    import json

    assert json.loads(json.dumps(spec)) == spec


@pytest.mark.parametrize(
    "value,expected",
    [
        ("local", ("local", None)),
        ("dask", ("dask", None)),
        ("dask:tcp://h:8786", ("dask", "tcp://h:8786")),
    ],
)
def test_executor_names(value, expected):
    assert parse_executor(value) == expected


def test_a_bad_executor_is_a_usage_error(offline):
    run = run_eval("--mode", "replay", "--executor", "spark")
    assert run.code == 2 and "--executor must be local, dask or dask:ADDRESS" in run.err


def test_max_concurrency_caps_the_runs_of_each_model_in_flight():
    from agent_kernel.evals.executors import _Throttle

    class T:
        def __init__(self, id):
            self.id = id

    jobs = [Job(T(f"t{i}"), Variant(m, m), 1) for i in range(3) for m in ("sonnet", "opus")]
    throttle = _Throttle(jobs, slots=4, cap=1)
    first = list(throttle.take())
    assert sorted(job.model for job in first) == ["opus", "sonnet"]  # one of each, not four
    assert list(throttle.take()) == []
    throttle.finished(first[0])
    (nxt,) = list(throttle.take())
    assert nxt.model == first[0].model
    uncapped = _Throttle(jobs, slots=4, cap=None)
    assert len(list(uncapped.take())) == 4


def test_an_existing_scheduler_is_used_by_its_address(offline):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        tasks = load_suite(None, ["rest_notes", "auth_jwt"])
        results = run_suite(
            tasks, [Variant("default")], EvalConfig(mode="replay"),
            executor=f"dask:{cluster.scheduler_address}",
        )  # fmt: skip
    assert [(r.task_id, r.outcome) for r in results] == [
        ("rest_notes", "secure"),
        ("auth_jwt", "secure"),
    ]
