"""`workbench inspect --project DIR`: what the workbench finds in a project, or what is missing."""

from __future__ import annotations

import sys
from pathlib import Path


def inspect_project(project: Path, *, app: str | None = None, python: str | None = None) -> int:
    """Print the app, interpreter, tests (as pytest collects them), settings, database
    (password masked), files and git state."""
    from ..project.collection import collect_tests
    from ..project.discovery import DiscoveryError, discover
    from ..project.interpreter import InterpreterError, find_interpreter

    try:
        info = discover(project, app=app)
        interpreter = find_interpreter(info.root, python)
    except (DiscoveryError, InterpreterError) as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 1
    lines = info.describe().splitlines()
    at = next((i for i, line in enumerate(lines) if line.startswith("tests:")), len(lines))
    lines.insert(at, f"python:    {interpreter.describe(info.root)}")
    print("\n".join(lines))
    collected = collect_tests(info, interpreter.path)
    print(f"collected: {collected.summary()}")
    if collected.warning:
        print(f"workbench: warning: {collected.warning}", file=sys.stderr)
    return 0
