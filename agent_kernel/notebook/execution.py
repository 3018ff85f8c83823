"""One notebook executed with papermill on the workbench's kernel, as tests and tools run it.

Two choices differ from papermill's defaults, for every caller at once (the notebook tests,
`make notebooks`, the benchmarks):

- The kernel talks over Unix sockets in a private temporary folder, not TCP. With TCP,
  jupyter_client picks free ports before the kernel binds them, and a kernel starting at
  the same moment elsewhere (parallel tests) can take one first: "Address already in use",
  then "Kernel died before replying to kernel_info". Socket files cannot collide.
- The output notebook is written once, at the end or at the failing cell, instead of
  before and after every cell (each save deep-copies, validates and dumps the notebook).
  A kernel that dies or a cell that times out leaves no output file; the error names the
  cell either way.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from .kernelspec import DEFAULT_NAME as KERNEL


def execute(
    notebook: Path | str,
    output: Path | str,
    *,
    parameters: dict[str, Any] | None = None,
    cwd: Path | str | None = None,
    timeout: float | None = None,
) -> Any:
    """papermill.execute_notebook with the choices above; returns the executed notebook.

    Raises papermill's PapermillExecutionError when a cell fails.
    """
    import papermill
    from traitlets.config import Config

    # Short and private: a Unix socket path must stay under about 100 characters.
    sockets = Path(tempfile.mkdtemp(prefix="nbk-"))
    try:
        transport = Config({"KernelManager": {"transport": "ipc", "ip": str(sockets / "k")}})
        return papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters or {},
            kernel_name=KERNEL,
            cwd=str(cwd) if cwd is not None else None,
            progress_bar=False,
            execution_timeout=timeout,
            request_save_on_cell_execute=False,
            config=transport,
        )
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
