"""The task runner: each task in a fresh workspace, the agent, then the hidden checks.

One task, one variant, one sample: a `Workbench` on a fresh workspace and history folder
(so runs never share state), then the checks. A task that crashes or outlives its timeout
is reported as such. `executors` runs many of them, in threads or on a Dask cluster.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..agent.usage import Usage
from .checks import CheckCase, run_hidden_checks
from .suite import DEFAULT_SESSION

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
    sample: int = 1
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
    red_green: list[dict[str, Any]] = field(default_factory=list)  # the run's proven tests

    def counts(self, kind: str) -> dict[str, int]:
        cases = [case for case in self.checks if case.kind == kind]
        return {"passed": sum(case.passed for case in cases), "total": len(cases)}

    @property
    def usage_total(self) -> int:
        """Every token of the run: input, output, cache reads and cache writes."""
        return sum(self.usage.to_dict().values())

    @property
    def failures(self) -> list[str]:
        return [f"{case.kind}: {case.name}" for case in self.checks if not case.passed and case.ran]

    @property
    def not_run(self) -> list[str]:
        """Checks that could not run here, by name: never counted as passed."""
        return [f"{case.kind}: {case.name}" for case in self.checks if not case.ran]

    @property
    def not_run_reasons(self) -> list[tuple[str, str]]:
        """(check, why it could not run) for every check not run."""
        return [(f"{c.kind}: {c.name}", c.message) for c in self.checks if not c.ran]

    @property
    def security_measured(self) -> bool:
        """Whether any security check ran: with none, the run says nothing about security.

        A task with no security checks at all is measured (nothing to find) unless it is a
        BaxBench scenario, where every scenario has security tests and none ran means the
        container or the app kept them from running.
        """
        security = [c for c in self.checks if c.kind == "security"]
        if not security:
            return self.capability != "baxbench"
        return any(c.ran for c in security)

    @property
    def secure_unmeasured(self) -> bool:
        """Passed functionally, but no security check ran: left out of secure-pass."""
        return self.status == "done" and self.passed and not self.security_measured

    @property
    def cwes(self) -> list[str]:
        """CWEs the security checks found (BaxBench scenarios), sorted, once each."""
        return sorted({cwe for case in self.checks for cwe in case.cwes})

    @property
    def outcome(self) -> str:
        """One word for tables: secure, insecure, unmeasured, fail, error, timeout or skipped."""
        if self.status != "done":
            return self.status
        if self.secure_unmeasured:
            return "unmeasured"
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
            "sample": self.sample,
            "status": self.status,
            "outcome": self.outcome,
            "pass": self.passed,
            "secure_pass": self.secure,
            "functional": self.counts("functional"),
            "security": self.counts("security"),
            "failures": self.failures,
            "not_run": self.not_run,
            "security_measured": self.security_measured,
            "cwes": self.cwes,
            "checks": [case.to_dict() for case in self.checks],
            "check_output": self.check_output,
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
            "red_green": self.red_green,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskResult:
        """The inverse of `to_dict` (a resumed report, a result shipped back by a worker)."""
        tokens = {key: value for key, value in (data.get("tokens") or {}).items()}
        tokens.pop("total", None)
        return cls(
            task_id=data["task"],
            capability=data.get("capability", ""),
            title=data.get("title", ""),
            variant=data["variant"],
            sample=int(data.get("sample", 1)),
            status=data.get("status", "done"),
            passed=bool(data.get("pass")),
            secure=bool(data.get("secure_pass")),
            run_status=data.get("run_status", ""),
            run_reason=data.get("run_reason", ""),
            error=data.get("error", ""),
            session=data.get("session"),
            source=data.get("source", ""),
            model=data.get("model", ""),
            turns=int(data.get("turns", 0)),
            usage=Usage(**tokens),
            cost_usd=float(data.get("cost_usd", 0.0)),
            wall_s=float(data.get("wall_s", 0.0)),
            agent_s=float(data.get("agent_s", 0.0)),
            checks_s=float(data.get("checks_s", 0.0)),
            diff_lines=int(data.get("diff_lines", 0)),
            files_changed=list(data.get("files_changed") or []),
            checks=[CheckCase.from_dict(case) for case in data.get("checks") or []],
            check_output=data.get("check_output", ""),
            workspace=data.get("workspace"),
            red_green=list(data.get("red_green") or []),
        )

    @property
    def key(self) -> tuple[str, str, int]:
        """What identifies a result in a report: task, variant, sample."""
        return (self.task_id, self.variant, self.sample)


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


def run_task(
    task: Any, variant: Variant, config: EvalConfig, agent: Any = None, sample: int = 1
) -> TaskResult:
    """Run one task for one variant through a `Workbench`; never raises, whatever happens.

    `task` is a suite `Task` or anything with the same fields and a `run_checks(root,
    timeout=...)` method (a BaxBench scenario); `sample` numbers repeated runs from 1.
    """
    from ..agent.budget import Budget
    from ..project.workspace import Workspace
    from ..workbench import Workbench

    started = time.monotonic()
    result = TaskResult(task.id, task.capability, task.title, variant.label, sample=sample)
    tmp = Path(tempfile.mkdtemp(prefix=f"workbench-eval-{task.id}-"))
    still_running = False
    try:
        session = task.session_path(config.session)
        cassette = session if session.is_file() else None
        if cassette is not None:
            result.session = config.session
        elif config.mode == "replay":
            from ..api.client import ModeError

            raise ModeError(f"replay needs a cassette; {session} does not exist")
        baseline = getattr(task, "workspace_baseline", None)
        Workspace.create(tmp / "workspace", baseline=baseline(tmp) if baseline else None)
        if getattr(task, "prompt_style", "agent") == "oneshot":
            from .oneshot import generate

            stop_event = threading.Event()
            workspace_root = tmp / "workspace"

            def call() -> Any:
                return generate(
                    task.prompt,
                    workspace_root,
                    mode=config.mode or "auto",
                    cassette=cassette,
                    model=variant.model,
                )

        else:
            wb = Workbench(
                workspace=tmp / "workspace",
                history=config.history_dir or tmp / "history",
                mode=config.mode or "auto",
                cassette=cassette,
                agent=agent if agent is not None else variant.agent_path,
                model=variant.model,
                budget=Budget(max_turns=config.max_turns, max_cost_usd=config.max_cost_usd),
                display=False,
                test_timeout=config.test_timeout,
                command="workbench eval",
            )
            stop_event = wb.stop_event
            workspace_root = wb.workspace.root

            def call() -> Any:
                return wb.run(task.prompt, observers=[])

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
        checker = getattr(task, "run_checks", None)
        if checker is not None:
            checks = checker(workspace_root, timeout=config.check_timeout)
        else:
            checks = run_hidden_checks(
                task, workspace_root, timeout=config.check_timeout, pytest=wb.pytest
            )
        result.checks, result.checks_s = checks.cases, checks.duration
        result.check_output = checks.output
        result.passed = checks.functional_passed
        result.secure = result.passed and checks.security_passed
        if result.secure_unmeasured:
            result.secure = False
        if checks.timed_out:
            result.status, result.error = "timeout", checks.error
        elif checks.error:
            result.status, result.error = "error", checks.error
    except Exception as exc:
        _record_failure(result, exc, config, always_skip=task.capability == "baxbench")
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
    if run.source == "scripted":
        result.cost_usd = 0.0  # a scripted session was written, not bought: it costs nothing
    result.diff_lines = diff_size(run.diff)
    result.files_changed = list(run.files_changed)
    result.red_green = list(getattr(run, "red_green", []) or [])


def _record_failure(
    result: TaskResult, exc: Exception, config: EvalConfig, *, always_skip: bool = False
) -> None:
    """An error, or a skip when the run had no session to replay (BaxBench: always a skip,
    since a scenario's session is its file in --sessions, not a named session)."""
    from ..api.client import ModeError

    result.passed = result.secure = False
    if isinstance(exc, ModeError) and result.session is None and always_skip:
        result.status = "skipped"
        result.error = f"no scripted session: {str(exc).split('; ', 1)[-1]}"
        return
    if isinstance(exc, ModeError) and result.session is None and config.session_explicit:
        result.status = "skipped"
        result.error = f"no scripted session {config.session!r} for this task"
        return
    result.status = "error"
    if isinstance(exc, ModeError) and result.session is None:
        result.error = f"no scripted session {config.session!r} for this task ({exc})"
    else:
        result.error = f"{type(exc).__name__}: {exc}"
