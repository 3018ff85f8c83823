"""Tests proven red before green: each new or changed test file, against the code as it was
and as it is.

The "before" tree is the workspace's own snapshot (`.workbench/baseline/`, the project as it
was) with the test files of now laid over it: tests from now, code from then. It is made
inside the workspace's records folder, so whatever confines the workspace's processes
confines these runs too, and removed afterwards. Both runs go through
`project.pytest_run.run_pytest_args`, like every other test run.

A test that fails before and passes after is proven; one that already passed before proves
nothing and is flagged; one that fails after fails the run.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..project.discovery import DATABASE_KEYS
from ..project.pytest_run import read_outcomes, run_pytest_args
from ..project.workspace import META_DIR, Workspace


@dataclass
class RedGreen:
    """One test: did it fail against the old code (red) and pass against the new (green)?"""

    test: str
    red: bool
    green: bool

    @property
    def proven(self) -> bool:
        return self.red and self.green

    def to_dict(self) -> dict[str, object]:
        return {"test": self.test, "red": self.red, "green": self.green}


def is_test_file(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _is_test_support(rel: str) -> bool:
    """What "tests from now" brings along: test files, conftest.py, and all under tests/."""
    name = rel.rsplit("/", 1)[-1]
    return is_test_file(rel) or name == "conftest.py" or rel.split("/", 1)[0] == "tests"


def changed_test_files(workspace: Workspace, before: dict[str, str]) -> list[str]:
    """Test files the run added or changed (still present), against `before`."""
    now = workspace.digests()
    return sorted(rel for rel, d in now.items() if is_test_file(rel) and before.get(rel) != d)


class _BeforeTree(Workspace):
    """The snapshot with today's tests: run as the workspace is, paths moved to this tree."""

    def __init__(self, root: Path, original: Workspace) -> None:
        super().__init__(root)
        self.original = original

    def test_environment(self) -> dict[str, str]:
        own = getattr(self.original, "test_environment", None)
        if own is None:
            return {}
        env = dict(own())
        old, new = str(self.original.root), str(self.root)
        if "PYTHONPATH" in env:
            env["PYTHONPATH"] = os.pathsep.join(
                new + part[len(old) :] if part.startswith(old) else part
                for part in env["PYTHONPATH"].split(os.pathsep)
            )
        return env


def _before_tree(workspace: Workspace, into: Path) -> _BeforeTree:
    baseline = workspace.baseline_dir
    if baseline.is_dir():
        shutil.copytree(baseline, into, dirs_exist_ok=True, symlinks=True)
    for rel in workspace.files():
        if _is_test_support(rel):
            target = into / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(workspace.root / rel, target, follow_symlinks=False)
    return _BeforeTree(into, workspace)


def _outcomes(
    tree: Workspace,
    files: list[str],
    timeout: float,
    cancel: threading.Event | None,
    scratch: Path,
    name: str,
) -> dict[str, str]:
    path = scratch / f"{name}.json"
    run = run_pytest_args(
        tree,
        ["--continue-on-collection-errors", *files],
        timeout=timeout,
        outcomes=path,
        cancel=cancel,
    )
    if run.timed_out:
        return {}
    return read_outcomes(path) or {}


def _names_a_database(workspace: Workspace) -> bool:
    own = getattr(workspace, "test_environment", None)
    env = {**os.environ, **(own() if own is not None else {})}
    return any(env.get(key) for key in DATABASE_KEYS)


def prove(
    workspace: Workspace,
    files: list[str],
    *,
    timeout: float = 120.0,
    cancel: threading.Event | None = None,
) -> list[RedGreen]:
    """Run `files` against the code before the run, then now; one entry per test, in order."""
    if not files:
        return []
    records = workspace.root / META_DIR
    records.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="red-green-", dir=records))
    try:
        tree = _before_tree(workspace, scratch / "before")
        # Two trees, two sandboxes: side by side they take the time of one on a second core,
        # unless a database outside both is named (then one after the other, as tests that
        # create and drop its tables expect).
        workers = 1 if _names_a_database(workspace) else 2
        with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="red-green") as pool:
            runs = [
                pool.submit(_outcomes, where, files, timeout, cancel, scratch, label)
                for where, label in ((tree, "before"), (workspace, "after"))
            ]
            before, after = (run.result() for run in runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    nodes = [node for node in after if "::" in node] or list(after)
    for rel in files:  # a file that collects nothing now fails on its own line
        if not any(node == rel or node.startswith(rel + "::") for node in nodes):
            nodes.append(rel)
    return [
        RedGreen(node, red=before.get(node) != "passed", green=after.get(node) == "passed")
        for node in nodes
    ]


def green_files(entries: list[RedGreen]) -> set[str]:
    """Test files every one of whose tests went green."""
    by_file: dict[str, bool] = {}
    for entry in entries:
        rel = entry.test.split("::", 1)[0]
        by_file[rel] = by_file.get(rel, True) and entry.green
    return {rel for rel, ok in by_file.items() if ok}


def verdict(entries: list[RedGreen]) -> tuple[str, list[str], list[str]]:
    """("green" | "red", tests that passed before (flagged), tests failing after)."""
    flagged = [e.test for e in entries if not e.red]
    failing = [e.test for e in entries if not e.green]
    return ("red" if failing else "green"), flagged, failing
