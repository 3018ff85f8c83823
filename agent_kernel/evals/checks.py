"""Hidden checks: the task's pytest files, run against the workspace app after the agent is done.

The files are copied into the workspace only once the run is over, into the workbench's own
records folder (which the agent's tools cannot reach), and run in a subprocess rooted at the
workspace with a timeout. Their own `pytest.ini` and `--confcutdir` keep any conftest the
agent wrote out of the way, so the agent's code is judged, never its opinion of itself.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..project.workspace import META_DIR
from .suite import CHECK_KINDS, SHARED_CONFTEST, Task

HIDDEN_SUBDIR = "hidden-checks"
OUTPUT_TAIL = 4_000
HIDDEN_INI = "[pytest]\naddopts = -p no:cacheprovider\n"


@dataclass
class CheckCase:
    """One hidden test and how it ended."""

    kind: str
    name: str
    passed: bool
    message: str = ""
    ran: bool = True  # False: the check could not run here (reported "not run", never passed)
    cwes: list[str] = field(default_factory=list)  # what a security check found (BaxBench)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "passed": self.passed,
            "message": self.message,
            "ran": self.ran,
            "cwes": list(self.cwes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckCase:
        return cls(
            kind=data["kind"],
            name=data["name"],
            passed=bool(data["passed"]),
            message=data.get("message", ""),
            ran=bool(data.get("ran", True)),
            cwes=list(data.get("cwes") or []),
        )


@dataclass
class CheckRun:
    """The hidden checks of one task: every case, and whether pytest itself finished."""

    cases: list[CheckCase] = field(default_factory=list)
    timed_out: bool = False
    exit_code: int | None = None
    duration: float = 0.0
    output: str = ""
    error: str = ""

    def of(self, kind: str) -> list[CheckCase]:
        return [case for case in self.cases if case.kind == kind]

    def all_passed(self, kind: str) -> bool:
        """Every check of this kind passed (and pytest finished); none at all counts as True.

        A security check that could not run is left out here, as BaxBench scores it (no CWE
        found); it is listed as not run wherever the result is shown. A functional check
        that could not run is a failure.
        """
        if self.timed_out or self.error:
            return False
        return all(case.passed for case in self.of(kind) if case.ran or kind == "functional")

    @property
    def functional_passed(self) -> bool:
        return bool(self.of("functional")) and self.all_passed("functional")

    @property
    def security_passed(self) -> bool:
        return self.all_passed("security")

    def counts(self, kind: str) -> dict[str, int]:
        cases = self.of(kind)
        return {"passed": sum(case.passed for case in cases), "total": len(cases)}

    def failures(self) -> list[str]:
        return [f"{case.kind}: {case.name}" for case in self.cases if not case.passed]


def kind_of(module: str) -> str:
    """functional or security, from the hidden file's module name."""
    base = module.split(".")[0].split("/")[-1].removesuffix(".py")
    for kind in CHECK_KINDS:
        if base.startswith(f"test_{kind}_"):
            return kind
    return "functional"


def install_hidden(task: Task, workspace_root: Path) -> Path:
    """Copy the task's hidden checks (and the suite's shared conftest) into the workspace."""
    target = workspace_root / META_DIR / HIDDEN_SUBDIR
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(task.hidden_dir, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shared = task.path.parent / SHARED_CONFTEST
    if shared.is_file() and not (target / "conftest.py").exists():
        shutil.copyfile(shared, target / "conftest.py")
    (target / "pytest.ini").write_text(HIDDEN_INI, encoding="utf-8")
    return target


def run_hidden_checks(
    task: Task,
    workspace_root: Path,
    *,
    timeout: float = 120.0,
    pytest: Callable[..., Any] | None = None,
) -> CheckRun:
    """Run the task's hidden checks against the app in `workspace_root`; never raises.

    `pytest` is the workbench's own test runner (`wb.pytest`), so the checks run exactly as
    every other test run of the workbench does; without it a Workbench-less run is made the
    same way, in a process of its own with the scrubbed environment.
    """
    root = Path(workspace_root).resolve()
    try:
        hidden = install_hidden(task, root)
    except OSError as exc:
        return CheckRun(error=f"could not install the hidden checks: {exc}")
    junit = hidden / "junit.xml"
    argv = [
        "-c",
        str(hidden / "pytest.ini"),
        "--rootdir",
        str(hidden),
        "--confcutdir",
        str(hidden),
        "--junitxml",
        str(junit),
        str(hidden),
    ]
    # The hidden checks need no third-party plugin; loading none is faster and keeps the
    # environment's plugins (xdist, timeout, nbval) from changing how they run.
    switches = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    if pytest is None:
        from ..project.pytest_run import run_pytest_args
        from ..project.workspace import Workspace

        def pytest(*args: str, timeout: float, env: dict[str, str], writable: list) -> Any:
            return run_pytest_args(
                Workspace(root), args, timeout=timeout, extra_env=env, writable=writable
            )

    try:  # the checks write their report beside them, in the workbench's records
        bounded = pytest(*argv, timeout=timeout, env=switches, writable=[hidden])
    except OSError as exc:
        return CheckRun(error=f"could not start pytest: {exc}")
    timed_out, output = bounded.timed_out, bounded.output
    returncode = bounded.exit_code
    run = CheckRun(
        timed_out=timed_out,
        exit_code=returncode,
        duration=bounded.duration,
        output=output[-OUTPUT_TAIL:],
    )
    if timed_out:
        run.error = f"hidden checks timed out after {timeout:g}s (the test process was killed)"
        return run
    try:
        run.cases = parse_junit(junit)
    except (OSError, ET.ParseError) as exc:
        run.error = f"pytest left no readable report (exit code {returncode}): {exc}"
        return run
    if not run.cases:
        run.error = f"pytest collected no hidden checks (exit code {returncode})"
    elif returncode not in (0, 1):
        run.error = f"pytest ended with exit code {returncode}"
    return run


def parse_junit(path: Path) -> list[CheckCase]:
    """Every testcase in a pytest JUnit XML report, a collection error as a failed case."""
    cases: list[CheckCase] = []
    for element in ET.parse(path).getroot().iter("testcase"):
        classname = element.get("classname") or ""
        name = element.get("name") or "?"
        module = classname or name
        problem = next(
            (child for child in element if child.tag in ("failure", "error", "skipped")), None
        )
        message = ""
        if problem is not None:
            message = (problem.get("message") or problem.tag).strip().splitlines()[0][:300]
            if problem.tag == "skipped":
                message = f"skipped: {message}"
        label = f"{classname.split('.')[-1]}::{name}" if classname else name
        cases.append(CheckCase(kind_of(module), label, problem is None, message))
    return cases
