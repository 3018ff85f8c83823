"""Run one notebook with papermill and say, on failure, which cell failed and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from .conftest import KERNEL


@dataclass
class NotebookRun:
    ok: bool
    failure: str
    output: Path


def run_notebook(notebook: Path, output: Path, parameters: dict) -> NotebookRun:
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name=KERNEL,
            cwd=str(notebook.parent),
            progress_bar=False,
            execution_timeout=300,
            # Written once at the end (or at the failing cell), not twice per cell: those
            # saves cost a notebook of this size about 0.2 s and nobody watches them here.
            request_save_on_cell_execute=False,
        )
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
