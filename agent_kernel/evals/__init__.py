"""The evaluation harness behind `workbench eval`: suite, runner, scores, reports.

A suite holds one folder per task: a prompt, hidden functional and security checks the agent
never sees, and scripted sessions for offline replay. Each task runs in a fresh workspace;
its hidden checks then run against the app the agent produced. A BaxBench checkout's
scenarios are tasks too (`baxbench`: each app started in a `container` of its own for every
test, BaxBench's Docker calls answered inside it by `docker_standin`); runs repeat
(`--samples`) and are scored with pass@k and intervals (`stats`, `scoring`), in threads or
on a Dask cluster (`executors`).

Names load lazily, so registering the `eval` command costs the CLI nothing until it runs.

A front end (layer 1). May import: the facade and everything below it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "BaxBenchError": ".baxbench",
    "BaxTask": ".baxbench",
    "load_baxbench": ".baxbench",
    "Comparison": ".scoring",
    "compare": ".scoring",
    "Interval": ".stats",
    "pass_at_k": ".stats",
    "CheckCase": ".checks",
    "CheckRun": ".checks",
    "run_hidden_checks": ".checks",
    "EvalConfig": ".runner",
    "TaskResult": ".runner",
    "Variant": ".runner",
    "run_suite": ".executors",
    "run_task": ".runner",
    "VariantSummary": ".scoring",
    "summarise": ".scoring",
    "SuiteError": ".suite",
    "Task": ".suite",
    "default_suite_dir": ".suite",
    "load_suite": ".suite",
    "EvalReport": ".report",
    "write_report": ".report",
}

__all__ = [
    "BaxBenchError",
    "BaxTask",
    "CheckCase",
    "CheckRun",
    "Comparison",
    "EvalConfig",
    "EvalReport",
    "Interval",
    "SuiteError",
    "Task",
    "TaskResult",
    "Variant",
    "VariantSummary",
    "compare",
    "default_suite_dir",
    "load_baxbench",
    "load_suite",
    "pass_at_k",
    "run_hidden_checks",
    "run_suite",
    "run_task",
    "summarise",
    "write_report",
]

if TYPE_CHECKING:
    from .baxbench import BaxBenchError, BaxTask, load_baxbench
    from .checks import CheckCase, CheckRun, run_hidden_checks
    from .executors import run_suite
    from .report import EvalReport, write_report
    from .runner import EvalConfig, TaskResult, Variant, run_task
    from .scoring import Comparison, VariantSummary, compare, summarise
    from .stats import Interval, pass_at_k
    from .suite import SuiteError, Task, default_suite_dir, load_suite


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agent_kernel.evals' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
