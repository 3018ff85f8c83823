"""Run one notebook with papermill and say, on failure, which cell failed and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
from papermill.exceptions import PapermillExecutionError

from agent_kernel.notebook.execution import execute


@dataclass
class NotebookRun:
    ok: bool
    failure: str
    output: Path


def run_notebook(notebook: Path, output: Path, parameters: dict) -> NotebookRun:
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        execute(notebook, output, parameters=parameters, cwd=notebook.parent, timeout=300)
    except PapermillExecutionError as exc:
        return NotebookRun(False, describe_failure(output, exc), output)
    return NotebookRun(True, "", output)


def describe_failure(output: Path, exc: PapermillExecutionError) -> str:
    source = ""
    try:
        cell = nbformat.read(output, as_version=4).cells[exc.cell_index]
        lines = [line for line in cell.source.splitlines() if line.strip()]
        source = lines[0][:80] if lines else ""
    except (OSError, IndexError, ValueError):
        pass
    return (
        f"{output.name}: cell {exc.cell_index} (execution count {exc.exec_count}, "
        f"starting {source!r}) failed with {exc.ename}: {exc.evalue}"
    )
