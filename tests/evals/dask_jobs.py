"""A job runner for the Dask tests: one chosen task kills the worker that runs it."""

from __future__ import annotations

import os
from typing import Any

from agent_kernel.evals.executors import run_spec

DOOMED_TASK = "cors_headers"


def run_or_die(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["task"]["id"] == DOOMED_TASK:
        os._exit(17)  # the worker process dies mid-task, as an out-of-memory kill would
    return run_spec(spec)
