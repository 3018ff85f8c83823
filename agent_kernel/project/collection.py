"""What pytest collects in a project, asked of pytest itself on the project's interpreter.

Reading `test_*.py` names says where tests might be; only collection says whether pytest,
run where the workbench runs it, finds them (`cd svc && pytest` projects find nothing from
the root). `workbench inspect` runs it on the user's tree without writing bytecode or a
cache, with the project's `.env` values, in a bounded process.

Imports this layer's bounded_process, discovery and safe_env modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .bounded_process import run_bounded
from .discovery import ProjectInfo, read_env_files
from .safe_env import safe_environment

SOURCE_ONLY = Path(__file__).with_name("source_only.py")
COLLECTED = re.compile(r"(\d+) tests? collected|(\d+)/\d+ tests? collected")
NODE = re.compile(r"^\S+::\S+")


@dataclass
class Collection:
    """How many tests pytest collected, where, and what to do when it found none."""

    count: int
    where: str
    exit_code: int | None
    error: str = ""

    @property
    def warning(self) -> str:
        if self.count:
            return ""
        detail = f": {self.error}" if self.error else ""
        return (
            f"pytest collected no tests in {self.where} (exit code {self.exit_code}){detail}. "
            'Set where the tests run with [tool.workbench] test-dir = "..." in the '
            "project's pyproject.toml, or wb.pytest(cwd=...)"
        )

    def summary(self) -> str:
        return f"{self.count} test(s) in {self.where} (pytest --collect-only)"


def collect_tests(info: ProjectInfo, python: str, timeout: float = 120.0) -> Collection:
    """`pytest --collect-only -q` where the project's tests run, on `python`."""
    root = str(info.root)
    run_dir = info.root / info.test_dir
    env = safe_environment(root)
    env.update(read_env_files(info.env_files))
    paths = [str(info.import_root), root] if info.import_root != info.root else [root]
    env["PYTHONPATH"] = ":".join(paths)
    command = [python, str(SOURCE_ONLY), "--collect-only", "-q", "-p", "no:cacheprovider"]
    try:
        run = run_bounded(command, cwd=run_dir, env=env, timeout=timeout)
    except OSError as exc:
        return Collection(0, info.test_dir, None, f"the interpreter did not start: {exc}")
    where = f"{info.test_dir}/" if info.test_dir != "." else "./"
    if run.timed_out:
        return Collection(0, where, None, f"collection timed out after {timeout:g}s")
    nodes = [line for line in run.output.splitlines() if NODE.match(line)]
    error = ""
    if not nodes:
        tail = [line for line in run.output.strip().splitlines() if line.strip()][-3:]
        error = " | ".join(tail)[-600:]
    return Collection(len(nodes), where, run.exit_code, error)
