"""A project on its own interpreter: a check in the app host, and `wb.pytest()`, against the floors.

`app_host`: a fresh, isolated check through the app host (a forked child imports the app,
runs its lifespan, answers one request and ends; measured end to end from the kernel)
against importing the same app once in a bare process of the same interpreter that has the
stack imported already (`bench_project_check.bare_import`). Projects are the project-check
benchmark's generated ones, 0, 10 and 50 extra routers.

`project_pytest`: `wb.pytest()` on a project whose `.venv` is its own interpreter (forked
from that interpreter's warm pytest server) against `.venv/bin/python -m pytest` run by hand
in the same folder, warm (the OS caches filled by earlier runs of both).

The project's interpreter is a virtualenv of the workbench's base Python that sees the
workbench's packages through a `.pth` file: another interpreter (its own host and server),
the same versions, no network needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .bench_project_check import BARE, make_project
from .common import BenchResult, median, seconds

SIZES = (0, 10, 50)
TARGET_RATIO = 1.5
TARGET_50 = 0.300
TARGET_PYTEST = 0.5
TESTS = """from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_health():
    assert client.get("/api/v1/utils/health-check/").json() is True


def test_docs():
    assert client.get("/docs").status_code == 200
"""


def project_venv(folder: Path) -> Path:
    """A virtualenv of the base interpreter that imports the workbench's packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next(folder.glob("lib/python3*/site-packages"))
    own = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    (site / "workbench-packages.pth").write_text(str(own) + "\n")
    return folder / "bin" / "python"


def bare_import(python: Path, root: Path) -> float:
    done = subprocess.run(
        [str(python), "-B", "-c", BARE, str(root)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return float(done.stdout.strip().splitlines()[-1])


def hosted_check(info: Any, python: Path) -> float:
    """Open (fork, import, lifespan), one request, close; seconds, from this process."""
    from agent_kernel.project.hosted_app import open_hosted_client

    started = time.perf_counter()
    client = open_hosted_client(info, {}, python=str(python))
    try:
        if client.get("/api/v1/utils/health-check/").status_code != 200:
            raise RuntimeError("the health check did not answer 200")
    finally:
        client.close()
    return time.perf_counter() - started


def run_host(repeats: int = 7, sizes: tuple[int, ...] = SIZES) -> BenchResult:
    from agent_kernel.project.discovery import discover

    checks: dict[int, list[float]] = {s: [] for s in sizes}
    bare: dict[int, list[float]] = {s: [] for s in sizes}
    ratios: dict[int, list[float]] = {s: [] for s in sizes}
    with tempfile.TemporaryDirectory(prefix="bench-apphost-") as tmp:
        python = project_venv(Path(tmp) / "venv")
        infos = {s: discover(make_project(Path(tmp) / f"p{s}", s)) for s in sizes}
        for size in sizes:  # the host starts and imports the stack once
            hosted_check(infos[size], python)
        for round_ in range(repeats):
            for size in sizes:
                info = infos[size]
                if round_ % 2 == 0:
                    fresh = hosted_check(info, python)
                    floor = bare_import(python, info.root)
                else:
                    floor = bare_import(python, info.root)
                    fresh = hosted_check(info, python)
                checks[size].append(fresh)
                bare[size].append(floor)
                ratios[size].append(fresh / floor)
    rows, summary = [], {}
    for size in sizes:
        summary[str(size)] = {
            "check_s": median(checks[size]),
            "bare_import_s": median(bare[size]),
            "ratio": median(ratios[size]),
            "checks": checks[size],
            "bare": bare[size],
        }
        rows.append(
            [
                str(size),
                seconds(median(checks[size])),
                seconds(median(bare[size])),
                f"{median(ratios[size]):.2f}x",
            ]
        )
    worst = max(summary[str(s)]["ratio"] for s in sizes)
    largest = sizes[-1]
    check_largest = summary[str(largest)]["check_s"]
    met = worst <= TARGET_RATIO and (largest != 50 or check_largest < TARGET_50)
    return BenchResult(
        key="app_host",
        title="A fresh check in the app host vs a bare import of the app",
        target=f"within {TARGET_RATIO}x; under {TARGET_50 * 1000:.0f} ms a check at 50 routers",
        headline=(
            f"{worst:.2f}x at most (median of each round's ratio); {seconds(check_largest)} "
            f"a check at {largest} routers"
        ),
        verdict="met" if met else "missed",
        headers=["extra routers", "whole check in the host", "bare import", "ratio"],
        rows=rows,
        notes=[
            f"Median of {repeats} rounds per size, the two taking turns within each round.",
            "A whole check: connect to the host, fork, import the app from source, run its "
            "lifespan, answer GET /api/v1/utils/health-check/ over the socket, shut down; "
            "timed in the kernel. The bare import is `import app.main` alone, timed inside a "
            "fresh interpreter of the same venv with the stack imported first (not timed).",
        ],
        data={"repeats": repeats, "sizes": summary},
    )


def run_pytest(repeats: int = 7) -> BenchResult:
    from agent_kernel import Workbench

    workbench_runs: list[float] = []
    by_hand: list[float] = []
    ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-projpytest-") as tmp:
        root = make_project(Path(tmp) / "project", 10)
        (root / "tests").mkdir()
        (root / "tests/__init__.py").write_text("")
        (root / "tests/test_app.py").write_text(TESTS)
        python = project_venv(root / ".venv")
        wb = Workbench(project=root, workspace=Path(tmp) / "ws", display=False)
        command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:nbval"]

        def ours() -> float:
            started = time.perf_counter()
            run = wb.pytest()
            if not run.passed:
                raise RuntimeError(run.output[-800:])
            return time.perf_counter() - started

        def theirs() -> float:
            started = time.perf_counter()
            subprocess.run(command, cwd=wb.workspace.root, check=True, capture_output=True)
            return time.perf_counter() - started

        ours()  # the warm server of the project's interpreter starts
        theirs()
        for round_ in range(repeats):
            if round_ % 2 == 0:
                a, b = ours(), theirs()
            else:
                b, a = theirs(), ours()
            workbench_runs.append(a)
            by_hand.append(b)
            ratios.append(a / b)
    ratio = median(ratios)
    return BenchResult(
        key="project_pytest",
        title="wb.pytest() on the project's own interpreter vs pytest by hand in its venv",
        target=f"at most {TARGET_PYTEST}x",
        headline=f"{ratio:.2f}x ({seconds(median(workbench_runs))} against "
        f"{seconds(median(by_hand))})",
        verdict="met" if ratio <= TARGET_PYTEST else "missed",
        headers=["wb.pytest()", "python -m pytest in the venv", "ratio"],
        rows=[[seconds(median(workbench_runs)), seconds(median(by_hand)), f"{ratio:.2f}x"]],
        notes=[
            f"Median of {repeats} rounds of each, taking turns; both warm (one run of each "
            "before timing). The suite: two TestClient tests of the 10-router project.",
            "`wb.pytest()` forks from the warm pytest server of the project's `.venv` "
            "interpreter (started by path, the workbench not installed there).",
        ],
        data={"repeats": repeats, "workbench": workbench_runs, "by_hand": by_hand},
    )


if __name__ == "__main__":
    print(json.dumps(run_host(3).to_dict(), indent=1))
    print(json.dumps(run_pytest(3).to_dict(), indent=1))
