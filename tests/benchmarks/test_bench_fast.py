"""The quick benchmarks run end to end with tiny repeat counts and give well-formed results.

No timing is asserted: these machines are noisy, and the numbers belong in RESULTS.md.
"""

from __future__ import annotations

import math

import pytest

from benchmarks import bench_live_check, bench_loop, bench_startup


def well_formed(result, key):
    assert result.key == key
    assert result.verdict in ("met", "missed", "info")
    assert result.title and result.headline and result.target
    assert result.rows and all(len(row) == len(result.headers) for row in result.rows)


def test_startup_times_the_three_commands():
    result = bench_startup.run(repeats=1)

    well_formed(result, "startup")
    assert [row[0] for row in result.rows] == [
        "`python -c pass`",
        "`import agent_kernel`",
        "`workbench --help`",
    ]
    assert all(len(values) == 1 for values in result.data["times"].values())
    assert result.data["slowest_imports"], "the -X importtime breakdown came back empty"


def test_loop_and_sdk_runner_replay_the_same_session_to_the_end(tmp_path):
    data = bench_loop.cassette_data(2, 50, closing="tool")
    assert bench_loop.run_loop(data, tmp_path) > 0
    assert (tmp_path / "t.jsonl").is_file()  # the trajectory, saved as every run saves it
    assert bench_loop.run_sdk_runner(bench_loop.cassette_data(2, 50, closing="text")) > 0


def test_loop_benchmark_reports_a_ratio_per_session():
    result = bench_loop.run(repeats=1, sessions=(("tiny", 2, 50),))

    well_formed(result, "loop")
    session = result.data["sessions"]["tiny"]
    assert session["requests"] == 3
    assert len(session["times"]["loop"]) == len(session["times"]["sdk"]) == 1
    assert session["ratio"] > 0 and math.isfinite(session["ratio"])


def test_generated_workspace_serves_its_extra_routers(tmp_path):
    root = bench_live_check.make_workspace(tmp_path / "ws", 3)

    assert sorted(p.name for p in (root / "sandbox_app/api/routes").glob("extra*.py")) == [
        "extra0.py",
        "extra1.py",
        "extra2.py",
    ]
    parts = bench_live_check.one_check(root, 3)  # raises unless every request answers 200
    assert parts["total"] >= parts["open"] > 0


def test_live_check_benchmark_grows_a_row_per_app_size():
    result = bench_live_check.run(repeats=1, sizes=(0, 2))

    well_formed(result, "live_check")
    assert [row[0] for row in result.rows] == ["0", "2"]
    assert set(result.data["sizes"]) == {"0", "2"}


def test_a_failed_notebook_is_described_on_one_plain_line():
    from papermill.exceptions import PapermillExecutionError

    from benchmarks.bench_notebooks import describe

    error = PapermillExecutionError(3, 4, "x = y", "NameError", "name 'y' is not defined", [])
    error.evalue = "\x1b[31mname 'y'\nis not defined\x1b[0m"

    assert describe(error) == "NameError: name 'y' is not defined (cell [4])"
    assert describe(RuntimeError("kernel\ndied")) == "RuntimeError: kernel died"


def test_the_serial_ratio_is_the_median_of_the_rounds_own_ratios():
    from benchmarks.bench_notebooks import paired_ratio

    reals, floors = [11.0, 12.0, 30.0], [10.0, 6.0, 8.0]  # rounds: 1.1x, 2.0x, 3.75x

    assert paired_ratio(reals, floors) == 2.0  # the ratio of the medians would say 1.5x
    with pytest.raises(ValueError):
        paired_ratio([1.0, 2.0], [1.0])


def test_project_check_benchmark_is_well_formed():
    from benchmarks import bench_project_check

    result = bench_project_check.run(repeats=1, sizes=(0, 2))

    well_formed(result, "project_check")
    assert set(result.data["sizes"]) == {"0", "2"}
    assert all(size["ratio"] > 0 for size in result.data["sizes"].values())


def test_generated_project_uses_absolute_imports(tmp_path):
    from benchmarks import bench_project_check

    root = bench_project_check.make_project(tmp_path / "p", 2)
    assert (
        "from app.core.db import Base, SessionDep"
        in (root / "app/api/routes/extra1.py").read_text()
    )
    assert bench_project_check.bare_import(root) > 0


def test_sandbox_compares_the_same_run_with_and_without_it():
    from benchmarks import bench_sandbox

    result = bench_sandbox.run(repeats=1)
    well_formed(result, "sandbox")
    assert result.data["ratio"] > 0 and math.isfinite(result.data["ratio"])
    assert result.data["bwrap_start_s"] == result.data["bwrap_start_s"]  # a number, not NaN


def test_app_host_benchmark_is_well_formed():
    from benchmarks import bench_app_host

    result = bench_app_host.run_host(repeats=1, sizes=(0, 2))

    well_formed(result, "app_host")
    assert set(result.data["sizes"]) == {"0", "2"}
    assert all(size["ratio"] > 0 for size in result.data["sizes"].values())


def test_project_pytest_benchmark_is_well_formed():
    from benchmarks import bench_app_host

    result = bench_app_host.run_pytest(repeats=1)

    well_formed(result, "project_pytest")
    assert len(result.data["workbench"]) == len(result.data["by_hand"]) == 1
