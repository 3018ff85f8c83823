"""The task runner: each task in a fresh workspace, the agent, then the hidden checks.

Tasks run in threads, up to `jobs` at a time. Each has its own workspace and history
folder, so runs never share state; a task that crashes or outlives its timeout is reported
as such and the others go on.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..agent.usage import Usage
from .checks import CheckCase, run_hidden_checks
from .suite import DEFAULT_SESSION, Task

STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class Variant:
    """One contender: a model, an agent definition file, or both (None: the defaults)."""

    label: str
    model: str | None = None
    agent_path: Path | None = None


@dataclass
class EvalConfig:
    """How every task of one evaluation runs."""

    mode: str | None = "replay"
    session: str = DEFAULT_SESSION
    session_explicit: bool = False
    history_dir: Path | None = None
    task_timeout: float = 600.0
    check_timeout: float = 120.0
    test_timeout: float = 120.0
    max_turns: int = 40
    max_cost_usd: float | None = None
    keep_workspaces: bool = False


@dataclass
class TaskResult:
    """One task run by one variant, scored."""

    task_id: str
    capability: str
    title: str
    variant: str
    status: str = "done"  # done | error | timeout | skipped
    passed: bool = False
    secure: bool = False
    run_status: str = ""
    run_reason: str = ""
    error: str = ""
    session: str | None = None
    source: str = ""
    model: str = ""
    turns: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    wall_s: float = 0.0
    agent_s: float = 0.0
    checks_s: float = 0.0
    diff_lines: int = 0
    files_changed: list[str] = field(default_factory=list)
    checks: list[CheckCase] = field(default_factory=list)
    check_output: str = ""
    workspace: str | None = None

    def counts(self, kind: str) -> dict[str, int]:
        cases = [case for case in self.checks if case.kind == kind]
        return {"passed": sum(case.passed for case in cases), "total": len(cases)}

    @property
    def usage_total(self) -> int:
        """Every token of the run: input, output, cache reads and cache writes."""
        return sum(self.usage.to_dict().values())

    @property
    def failures(self) -> list[str]:
        return [f"{case.kind}: {case.name}" for case in self.checks if not case.passed]

    @property
    def outcome(self) -> str:
        """One word for tables: secure, insecure, fail, error, timeout or skipped."""
        if self.status != "done":
            return self.status
        if self.secure:
            return "secure"
        return "insecure" if self.passed else "fail"

    def to_dict(self) -> dict[str, Any]:
        tokens = self.usage.to_dict()
        tokens["total"] = sum(tokens.values())
        return {
            "task": self.task_id,
            "capability": self.capability,
            "title": self.title,
            "variant": self.variant,
            "status": self.status,
            "outcome": self.outcome,
            "pass": self.passed,
            "secure_pass": self.secure,
            "functional": self.counts("functional"),
            "security": self.counts("security"),
            "failures": self.failures,
            "run_status": self.run_status,
            "run_reason": self.run_reason,
            "error": self.error,
            "session": self.session,
            "source": self.source,
            "model": self.model,
            "turns": self.turns,
            "tokens": tokens,
            "cost_usd": round(self.cost_usd, 6),
            "wall_s": round(self.wall_s, 3),
            "agent_s": round(self.agent_s, 3),
            "checks_s": round(self.checks_s, 3),
            "diff_lines": self.diff_lines,
            "files_changed": self.files_changed,
            "workspace": self.workspace,
        }


def diff_size(diff: str) -> int:
    """Lines added plus lines removed in a unified diff."""
    return sum(
        1
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++ ", "--- "))
    )


def _call_with_timeout(
    call: Callable[[], Any], timeout: float, stop_event: threading.Event, name: str
) -> tuple[Any, BaseException | None, str]:
    """(value, error, state): the call in a thread, asked to stop when out of time.

    state is "done" (finished in time), "stopped" (ended once asked to stop) or "hung"
    (still running after the grace period: the thread is left behind, a daemon).
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=target, name=name, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        stop_event.set()
        worker.join(STOP_GRACE_S)
        return None, None, "hung" if worker.is_alive() else "stopped"
    return box.get("value"), box.get("error"), "done"


def run_task(task: Task, variant: Variant, config: EvalConfig, agent: Any = None) -> TaskResult:
    """Run one task for one variant; never raises, whatever the agent or the app does."""
    from ..agent.budget import Budget
    from ..agent.definition import load_agent
    from ..agent.runner import run_agent
    from ..api.client import make_client
    from ..project.workspace import Workspace
    from ..tools.ask_user import answers_from

    started = time.monotonic()
    result = TaskResult(task.id, task.capability, task.title, variant.label)
    tmp = Path(tempfile.mkdtemp(prefix=f"workbench-eval-{task.id}-"))
    still_running = False
    try:
        session = task.session_path(config.session)
        cassette = session if session.is_file() else None
        if cassette is not None:
            result.session = config.session
        handle = make_client(config.mode, cassette=cassette, model=variant.model)
        if handle.mode == "replay" and cassette is None:  # pragma: no cover - make_client raises
            raise FileNotFoundError(session)
        agent = agent or load_agent(variant.agent_path)
        workspace = Workspace.create(tmp / "workspace")
        history = config.history_dir or tmp / "history"
        answers = handle.cassette.answers if handle.cassette else None
        stop_event = threading.Event()

        def call() -> Any:
            return run_agent(
                task.prompt,
                handle=handle,
                agent=agent,
                workspace=workspace,
                history_dir=history,
                model=variant.model,
                budget=Budget(max_turns=config.max_turns, max_cost_usd=config.max_cost_usd),
                answer=answers_from(answers) if answers else None,
                stop_event=stop_event,
                command="workbench eval",
                test_timeout=config.test_timeout,
            )

        agent_started = time.monotonic()
        run, error, state = _call_with_timeout(
            call, config.task_timeout, stop_event, f"eval-{task.id}"
        )
        result.agent_s = time.monotonic() - agent_started
        if state != "done":
            still_running = state == "hung"
            result.status = "timeout"
            result.error = f"the agent run exceeded the task timeout ({config.task_timeout:g}s)"
            if still_running:
                result.error += "; it did not stop, so its workspace is left in place"
            return result
        if error is not None:
            raise error
        _record_run(result, run)
        checks = run_hidden_checks(task, workspace.root, timeout=config.check_timeout)
        result.checks, result.checks_s = checks.cases, checks.duration
        result.check_output = checks.output
        result.passed = checks.functional_passed
        result.secure = result.passed and checks.security_passed
        if checks.timed_out:
            result.status, result.error = "timeout", checks.error
        elif checks.error:
            result.status, result.error = "error", checks.error
    except Exception as exc:
        _record_failure(result, exc, config)
    finally:
        result.wall_s = time.monotonic() - started
        if config.keep_workspaces or still_running:
            result.workspace = str(tmp / "workspace")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def _record_run(result: TaskResult, run: Any) -> None:
    result.run_status, result.run_reason = run.status, run.reason
    result.source, result.model = run.source, run.model
    result.turns, result.usage, result.cost_usd = run.turns, run.usage, run.cost_usd
    result.diff_lines = diff_size(run.diff)
    result.files_changed = list(run.files_changed)


def _record_failure(result: TaskResult, exc: Exception, config: EvalConfig) -> None:
    from ..api.client import ModeError

    result.passed = result.secure = False
    if isinstance(exc, ModeError) and result.session is None and config.session_explicit:
        result.status = "skipped"
        result.error = f"no scripted session {config.session!r} for this task"
        return
    result.status = "error"
    if isinstance(exc, ModeError) and result.session is None:
        result.error = f"no scripted session {config.session!r} for this task ({exc})"
    else:
        result.error = f"{type(exc).__name__}: {exc}"


Progress = Callable[[str, TaskResult | None, Task, Variant], None]


def run_suite(
    tasks: list[Task],
    variants: list[Variant],
    config: EvalConfig,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    agents: dict[str, Any] | None = None,
) -> list[TaskResult]:
    """Every task for every variant, `jobs` at a time; results in variant, then task order."""
    pairs = [(variant, task) for variant in variants for task in tasks]
    results: dict[int, TaskResult] = {}
    agents = agents or {}
    # The SDK is imported once here: many threads racing through a first import is slow.
    import anthropic  # noqa: F401

    lock = threading.Lock()

    def notify(event: str, result: TaskResult | None, task: Task, variant: Variant) -> None:
        if progress is not None:
            # A display glitch must not end the run.
            with lock, contextlib.suppress(Exception):
                progress(event, result, task, variant)

    def one(index: int) -> TaskResult:
        variant, task = pairs[index]
        notify("start", None, task, variant)
        return run_task(task, variant, config, agents.get(variant.label))

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="eval") as pool:
        futures = {pool.submit(one, index): index for index in range(len(pairs))}
        for future in as_completed(futures):
            index = futures[future]
            variant, task = pairs[index]
            try:
                result = future.result()
            except Exception as exc:
                result = TaskResult(task.id, task.capability, task.title, variant.label)
                result.status, result.error = "error", f"{type(exc).__name__}: {exc}"
            results[index] = result
            notify("done", result, task, variant)
    return [results[index] for index in range(len(pairs))]
