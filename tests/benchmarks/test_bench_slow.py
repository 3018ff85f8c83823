"""The slow benchmarks (kernels, the eval suite) and the entry point, with the smallest inputs.

A one-notebook "suite" and a one-task eval prove the plumbing: kernels start offline, every
run is timed, the results are well formed and RESULTS.md is written. No timing is asserted.
"""

from __future__ import annotations

import json
import math

import pytest

from benchmarks import bench_eval, bench_notebooks, run
from benchmarks.common import BenchResult


@pytest.fixture
def tiny_notebook(tmp_path):
    return bench_notebooks.write_floor_notebook(tmp_path / "nb" / "01_tiny.ipynb")


@pytest.mark.notebook
def test_notebook_benchmark_runs_suite_and_floor_serially_and_in_parallel(tiny_notebook):
    result = bench_notebooks.run(repeats=1, notebooks=[tiny_notebook], workers=2)

    assert result.key == "notebooks" and result.verdict in ("met", "missed")
    assert not result.data["failures"], result.data["failures"]
    for series in ("serial_real_s", "serial_floor_s", "parallel_real_s", "parallel_floor_s"):
        assert len(result.data[series]) == 1 and result.data[series][0] > 0
    assert [row[0] for row in result.rows] == [
        "serial, 1 notebooks",
        "2 workers, 1 notebooks",
        "2 workers vs the serial floor",
    ]


@pytest.mark.notebook
def test_breakdown_probes_each_kernel_and_reads_its_timers_back(tiny_notebook):
    result = bench_notebooks.breakdown([tiny_notebook], workers=1)

    item = result.data["notebooks"]["01_tiny.ipynb"]
    assert item["ok"] and item["probed"], "the probe's report cell did not run"
    assert item["agent runs"] == [0, 0.0]
    assert result.rows[-1][0] == "**all**"
    assert len(result.rows[0]) == len(result.headers)


def test_eval_benchmark_says_cleanly_when_the_harness_is_missing(monkeypatch, tmp_path):
    assert "is not there yet" in bench_eval.available(tmp_path / "no-suite")
    monkeypatch.setattr(bench_eval, "available", lambda: "agent_kernel/evals/ is not there yet")

    result = bench_eval.run()

    assert result.verdict == "unavailable"
    assert result.headline.startswith("not available yet")
    assert any(note.startswith("TODO") for note in result.notes)


def test_eval_benchmark_replays_one_task_with_one_and_two_jobs():
    assert bench_eval.available() == ""
    task = sorted(p.name for p in (bench_eval.REPO / "evals").iterdir() if p.is_dir())[0]

    result = bench_eval.run(repeats=1, tasks=task)

    assert result.verdict == "info"
    assert result.data["tasks"] == {1: 1, 2: 1}
    assert [row[0] for row in result.rows] == ["1", "2"]
    assert math.isfinite(result.data["speedup"])


def test_run_writes_results_markdown_and_json(tmp_path):
    out, raw = tmp_path / "RESULTS.md", tmp_path / "results.json"

    status = run.main(["--only", "startup", "--quick", "--output", str(out), "--json", str(raw)])

    assert status == 0
    text = out.read_text()
    assert text.startswith("# Benchmark results")
    assert "## Machine" in text and "cores" in text and "Load average" in text
    assert "| benchmark | target | result | verdict | load at its start" in text
    assert "## Startup" in text
    payload = json.loads(raw.read_text())
    assert [r["key"] for r in payload["results"]] == ["startup"]
    assert payload["results"][0]["data"]["load_average_at_start"].count(" / ") == 2
    assert payload["machine"]["packages"]["anthropic"]


def test_render_marks_missing_benchmarks_as_todo_and_failures_loudly():
    missing = BenchResult("eval", "Eval", "none", "not available yet: x", "unavailable",
                          notes=["TODO: re-run"])  # fmt: skip
    broken = run.failed("loop", RuntimeError("boom"))
    machine = {"cpu": "cpu", "cores": 2, "platform": "p", "python": "3.11.7", "packages": {}}

    text = run.render([missing, broken], machine, {"date": "d", "load": "1"}, {
        "load": "2", "minutes": 1.0})  # fmt: skip

    assert "| Eval | none | not available yet: x | TODO | - |" in text
    assert "- TODO: re-run" in text
    assert "FAILED: RuntimeError: boom" in text and "**error**" in text


def test_unknown_benchmark_is_a_usage_error():
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "nope"])
