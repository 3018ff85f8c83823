"""The evaluation harness behind `workbench eval`: suite, runner, scores, reports.

A suite holds one folder per task: a prompt, hidden functional and security checks the agent
never sees, and scripted sessions for offline replay. Each task runs in a fresh workspace;
its hidden checks then run against the app the agent produced.
"""

from __future__ import annotations

from .checks import CheckCase, CheckRun, run_hidden_checks
from .runner import EvalConfig, TaskResult, Variant, run_suite, run_task
from .scoring import VariantSummary, summarise
from .suite import SuiteError, Task, default_suite_dir, load_suite

__all__ = [
    "CheckCase",
    "CheckRun",
    "EvalConfig",
    "SuiteError",
    "Task",
    "TaskResult",
    "Variant",
    "VariantSummary",
    "default_suite_dir",
    "load_suite",
    "run_hidden_checks",
    "run_suite",
    "run_task",
    "summarise",
]
