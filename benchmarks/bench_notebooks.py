"""The whole notebook suite in replay against the floor: kernels that only import the stack.

Every notebook runs with papermill, offline (CI=true, no `ANTHROPIC_*` variables, a throwaway
history and workspace), on the `fastapi-workbench` kernel. The floor is the same number of
kernels running one generated notebook that imports the same stack and nothing else: what
any suite of this size costs before the workbench does any work. Serially, real and floor
notebooks alternate (real i, floor i) so both see the same machine; in parallel, the suite
runs on a pool of worker processes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from agent_kernel.notebook.execution import execute as execute_notebook
from agent_kernel.notebook.kernelspec import DEFAULT_NAME

from .common import REPO, BenchResult, median, offline_env, ratio, seconds

KERNEL = DEFAULT_NAME  # the workbench's kernelspec
NOTEBOOK_DIR = REPO / "notebooks"
# The stack every lesson's kernel loads: the SDK, the widgets, and what the sandbox app and
# its live check import (FastAPI with its TestClient, SQLAlchemy's ORM, pydantic-settings).
FLOOR_IMPORTS = (
    "import agent_kernel\n"
    "import anthropic\n"
    "import fastapi\n"
    "import sqlalchemy\n"
    "import sqlalchemy.orm\n"
    "import pydantic_settings\n"
    "import ipywidgets\n"
    "import fastapi.testclient"
)
SERIAL_TARGET = 1.3
EXECUTION_TIMEOUT = 600


def suite() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def write_floor_notebook(path: Path) -> Path:
    """The floor: a parameters cell like the real notebooks' and one cell of imports."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('MODE = "auto"\nWORKSPACE = None\nHISTORY = None')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell(FLOOR_IMPORTS)]
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@dataclass
class Execution:
    notebook: str
    seconds: float
    ok: bool
    error: str = ""


def execute(notebook: str, scratch: str) -> Execution:
    """Run one notebook offline with papermill in this process (its kernel is a child).

    The kernel inherits this process's environment, so it is set here, per notebook.
    """
    source = Path(notebook)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=source.stem + "-") as tmp:
        root = Path(tmp)
        history = root / "history"
        env = offline_env(WORKBENCH_HISTORY=str(history))
        os.environ.clear()
        os.environ.update(env)
        started = time.perf_counter()
        try:
            execute_notebook(
                source,
                root / source.name,
                parameters={
                    "MODE": "auto",
                    "WORKSPACE": str(root / "ws"),
                    "HISTORY": str(history),
                },
                cwd=NOTEBOOK_DIR,
                timeout=EXECUTION_TIMEOUT,
            )
        except Exception as exc:  # a failed notebook is reported with its time, never hidden
            elapsed = time.perf_counter() - started
            return Execution(source.name, elapsed, False, describe(exc))
        return Execution(source.name, time.perf_counter() - started, True)


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def paired_ratio(reals: list[float], floors: list[float]) -> float:
    """The median of the rounds' own ratios: each round runs every lesson next to a floor
    kernel, so its ratio sees one state of the machine, where a ratio of two medians could
    pair a quick round of one side with a slow round of the other."""
    return median([ratio(real, floor) for real, floor in zip(reals, floors, strict=True)])


def describe(exc: Exception) -> str:
    """One line: the failing cell's error for a notebook, the exception otherwise."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        text = f"{ename}: {evalue} (cell [{getattr(exc, 'exec_count', '?')}])"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(ANSI.sub("", text).split())[:300]


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def run_batch(pool: ProcessPoolExecutor, notebooks: list[Path], scratch: str) -> tuple:
    """Every notebook through the pool; (wall seconds, executions)."""
    started = time.perf_counter()
    futures = [pool.submit(execute, str(nb), scratch) for nb in notebooks]
    executions = [future.result() for future in futures]
    return time.perf_counter() - started, executions


def warm(pool: ProcessPoolExecutor, workers: int) -> None:
    """Import papermill in every worker before the clock starts."""
    list(pool.map(_import_papermill, range(workers * 2)))


def _import_papermill(_: int) -> bool:
    import papermill  # noqa: F401  (warm-up only)

    return True


def run(
    repeats: int = 1,
    notebooks: list[Path] | None = None,
    workers: int = 2,
) -> BenchResult:
    notebooks = list(notebooks) if notebooks is not None else suite()
    if not notebooks:
        raise RuntimeError(f"no notebooks match {NOTEBOOK_DIR}/[0-9][0-9]_*.ipynb")
    count = len(notebooks)
    serial_real: list[float] = []
    serial_floor: list[float] = []
    parallel_real: list[float] = []
    parallel_floor: list[float] = []
    per_notebook: dict[str, list[float]] = {nb.name: [] for nb in notebooks}
    floor_each: list[float] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-notebooks-") as scratch:
        floor = write_floor_notebook(Path(scratch) / "floor" / "00_floor.ipynb")
        floors = [floor] * count
        with _pool(1) as serial:
            warm(serial, 1)
            serial.submit(execute, str(floor), scratch).result()  # first kernel start is slower
            for round_ in range(repeats):
                real_total = floor_total = 0.0
                for index, notebook in enumerate(notebooks):
                    pair = [(notebook, True), (floor, False)]
                    if (round_ + index) % 2:
                        pair.reverse()
                    for path, is_real in pair:
                        done = serial.submit(execute, str(path), scratch).result()
                        if not done.ok:
                            failures.append(f"{done.notebook}: {done.error}")
                        if is_real:
                            real_total += done.seconds
                            per_notebook[notebook.name].append(done.seconds)
                        else:
                            floor_total += done.seconds
                            floor_each.append(done.seconds)
                serial_real.append(real_total)
                serial_floor.append(floor_total)
        with _pool(workers) as parallel:
            warm(parallel, workers)
            for round_ in range(repeats):
                batches = [(notebooks, parallel_real), (floors, parallel_floor)]
                if round_ % 2:
                    batches.reverse()
                for batch, into in batches:
                    wall, executions = run_batch(parallel, batch, scratch)
                    into.append(wall)
                    failures.extend(f"{e.notebook}: {e.error}" for e in executions if not e.ok)
    serial_ratio = paired_ratio(serial_real, serial_floor)
    parallel_vs_floor = ratio(median(parallel_real), median(serial_floor))
    met = serial_ratio <= SERIAL_TARGET and parallel_vs_floor < 1.0 and not failures
    slowest = sorted(per_notebook.items(), key=lambda item: -median(item[1]))
    suite_s, floor_s = median(serial_real), median(serial_floor)
    par_s, par_floor_s = median(parallel_real), median(parallel_floor)
    rows = [
        [f"serial, {count} notebooks", seconds(suite_s), seconds(floor_s), f"{serial_ratio:.2f}x"],
        [
            f"{workers} workers, {count} notebooks",
            seconds(par_s),
            seconds(par_floor_s),
            f"{ratio(par_s, par_floor_s):.2f}x",
        ],
        [
            f"{workers} workers vs the serial floor",
            seconds(par_s),
            seconds(floor_s),
            f"{parallel_vs_floor:.2f}x",
        ],
    ]
    per_round = ", ".join(
        f"{ratio(real, floor):.2f}x" for real, floor in zip(serial_real, serial_floor, strict=True)
    )
    notes = [
        f"{repeats} run(s) of each, medians; one floor kernel takes "
        f"{seconds(median(floor_each))} (start, imports, shutdown).",
        f"Serial ratio of each run: {per_round}; the serial ratio above is their median (the "
        "suite and floor columns are medians of the runs' totals).",
        "Slowest notebooks (serial): "
        + ", ".join(f"{name} {seconds(median(values))}" for name, values in slowest[:5])
        + ".",
    ]
    if failures:
        notes.append(f"{len(failures)} notebook run(s) FAILED: " + "; ".join(failures[:5]))
    return BenchResult(
        key="notebooks",
        title="Notebook suite in replay against the floor",
        target=(
            f"serial within {SERIAL_TARGET}x of the floor; with {workers} workers, below the "
            "serial floor"
        ),
        headline=(
            f"serial {serial_ratio:.2f}x the floor; {workers} workers "
            f"{parallel_vs_floor:.2f}x the serial floor"
        ),
        verdict="met" if met else "missed",
        headers=["run", "suite", "floor", "ratio"],
        rows=rows,
        notes=notes,
        data={
            "repeats": repeats,
            "workers": workers,
            "notebooks": [nb.name for nb in notebooks],
            "serial_real_s": serial_real,
            "serial_floor_s": serial_floor,
            "parallel_real_s": parallel_real,
            "parallel_floor_s": parallel_floor,
            "per_notebook_s": per_notebook,
            "floor_kernel_s": floor_each,
            "failures": failures,
        },
    )


# -- where the time goes ----------------------------------------------------------------------

# Prepended to a copy of each notebook: wraps the workbench's costly steps with timers, in the
# kernel itself. The last cell (appended) writes the totals to a JSON file.
PROBE = """\
import time as _bench_time
import agent_kernel.project.live_check as _bench_live
import agent_kernel.tools.run_tests as _bench_tests
import agent_kernel.tools.submit_result as _bench_submit
import agent_kernel.agent.trajectory as _bench_trajectory
import agent_kernel.workbench as _bench_workbench

_BENCH = {}


def _bench_wrap(owner, attr, key):
    original = getattr(owner, attr)

    def wrapper(*args, **kwargs):
        started = _bench_time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            count, total = _BENCH.get(key, (0, 0.0))
            _BENCH[key] = (count + 1, total + _bench_time.perf_counter() - started)

    setattr(owner, attr, wrapper)


_bench_wrap(_bench_workbench.Workbench, "run", "agent runs")
_bench_wrap(_bench_submit, "run_pytest", "acceptance checks (pytest)")
_bench_wrap(_bench_tests, "run_pytest", "run_tests tool (pytest)")
_bench_wrap(_bench_trajectory.Trajectory, "save", "trajectory saves")
_bench_wrap(_bench_live, "open_client", "live checks (open_client)")
_bench_wrap(_bench_workbench.Workbench, "pytest", "wb.pytest in cells (pytest)")
"""
REPORT = """\
import json as _bench_json
from pathlib import Path as _BenchPath

_BenchPath({out!r}).write_text(_bench_json.dumps(_BENCH))
"""
PARTS = (
    "agent runs",
    "acceptance checks (pytest)",
    "run_tests tool (pytest)",
    "trajectory saves",
    "live checks (open_client)",
    "wb.pytest in cells (pytest)",
)
PYTEST_PARTS = (
    "acceptance checks (pytest)",
    "run_tests tool (pytest)",
    "wb.pytest in cells (pytest)",
)


def probed_copy(notebook: Path, folder: Path) -> tuple[Path, Path]:
    """A copy of `notebook` with the probe first and the report last; (copy, JSON path)."""
    import nbformat

    copy = nbformat.read(notebook, as_version=4)
    out = folder / f"{notebook.stem}.breakdown.json"
    copy.cells.insert(0, nbformat.v4.new_code_cell(PROBE))
    copy.cells.append(nbformat.v4.new_code_cell(REPORT.format(out=str(out))))
    path = folder / notebook.name
    nbformat.write(copy, path)
    return path, out


def breakdown(notebooks: list[Path] | None = None, workers: int = 2) -> BenchResult:
    """One probed run of the suite: how much of each notebook is the agent, pytest, saves."""
    notebooks = list(notebooks) if notebooks is not None else suite()
    with tempfile.TemporaryDirectory(prefix="bench-breakdown-") as scratch:
        folder = Path(scratch) / "probed"
        folder.mkdir()
        copies = [probed_copy(nb, folder) for nb in notebooks]
        with _pool(workers) as pool:
            warm(pool, workers)
            _, executions = run_batch(pool, [path for path, _ in copies], scratch)
        parts = {}
        for (_, out), execution in zip(copies, executions, strict=True):
            found = json.loads(out.read_text()) if out.exists() else {}
            parts[execution.notebook] = {
                "wall_s": execution.seconds,
                "ok": execution.ok,
                "probed": out.exists(),
                **{key: list(found.get(key, (0, 0.0))) for key in PARTS},
            }
    total = sum(item["wall_s"] for item in parts.values())
    rows = []
    for name, item in parts.items():
        cells = [f"{item[key][0]} / {seconds(item[key][1])}" for key in PARTS]
        failed = "" if item["ok"] and item["probed"] else " (FAILED)"
        rows.append([name + failed, seconds(item["wall_s"]), *cells])
    sums = {key: (sum(i[key][0] for i in parts.values()), sum(i[key][1] for i in parts.values()))
            for key in PARTS}  # fmt: skip
    rows.append(
        ["**all**", seconds(total), *[f"{n} / {seconds(secs)}" for n, secs in sums.values()]]
    )
    pytest_runs = sum(sums[key][0] for key in PYTEST_PARTS)
    pytest_s = sum(sums[key][1] for key in PYTEST_PARTS)
    share = pytest_s / total if total else float("nan")
    return BenchResult(
        key="notebook_breakdown",
        title="Where the notebook time goes (one probed run, timers inside each kernel)",
        target="none (diagnosis)",
        headline=(
            f"{pytest_runs} pytest runs take {seconds(pytest_s)} of {seconds(total)} "
            f"({share:.0%}); {seconds(pytest_s / pytest_runs if pytest_runs else 0)} each"
        ),
        verdict="info",
        headers=["notebook", "wall", *[f"{key}: calls / time" for key in PARTS]],
        rows=rows,
        notes=[
            f"One run of the suite on {workers} workers, each notebook with timers wrapped "
            "around the steps named above (agent runs include their pytest and saves; "
            "acceptance checks read from the last run_tests run start no pytest).",
        ],
        data={"workers": workers, "notebooks": parts},
    )
