"""Helpers for the eval harness tests: `workbench eval` run in process, output captured."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_kernel.evals.command import main

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "evals"


@dataclass
class EvalRun:
    code: int
    out: str
    err: str

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON object on the last stdout line."""
        return json.loads(self.out.strip().splitlines()[-1])

    def task(self, task_id: str) -> dict[str, Any]:
        return next(t for t in self.payload["tasks"] if t["task"] == task_id)


def run_eval(*argv: str) -> EvalRun:
    """`workbench eval ARGS` in process, its stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return EvalRun(code, out.getvalue(), err.getvalue())
