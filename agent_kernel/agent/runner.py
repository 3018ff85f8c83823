"""One run, start to finish: the loop, then the diff, the PHR and the result.

Whatever happens inside the loop, a run returns a `RunResult` and leaves its trajectory and
its Prompt History Record behind.
"""

from __future__ import annotations

import datetime as dt
import getpass
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path

from ..api.client import ClientHandle
from ..history.adr import suggestion_text
from ..history.phr import PromptRecord, quote_placeholders, write_phr
from ..history.redaction import register_secret
from ..project.pytest_server import prestart as prestart_pytest
from ..project.workspace import Workspace
from ..settings import env_flag, get_settings
from ..tools.base import AnswerProvider, ToolContext
from ..tools.suppressed import SUPPRESS_ENV, SuppressedEdits
from .budget import Budget
from .definition import AgentDefinition
from .events import Notice, Observer, RunFinished, RunStarted, broadcast
from .loop import AgentLoop, LoopOutcome
from .result import RunResult
from .system_prompt import build_system_prompt
from .toolset import open_toolset
from .trajectory import SUFFIX as TRAJECTORY_SUFFIX
from .trajectory import Trajectory


def run_agent(
    prompt: str,
    *,
    handle: ClientHandle,
    agent: AgentDefinition,
    workspace: Workspace,
    history_dir: Path,
    model: str | None = None,
    budget: Budget | None = None,
    observers: list[Observer] | None = None,
    answer: AnswerProvider | None = None,
    stop_event: threading.Event | None = None,
    command: str = "workbench run",
    test_timeout: float = 120.0,
    mcp_servers: dict | str | Path | None = None,
) -> RunResult:
    """Run the agent once; `mcp_servers` adds MCP servers (a map or a `.mcp.json`) to the
    project's own `.mcp.json`: they are started for this run and stopped after it."""
    prestart_pytest()  # its imports overlap with the first turns
    settings = get_settings()
    if settings.api_key:
        register_secret(settings.api_key)
    observers = list(observers or [])
    model = model or _default_model(handle, agent)
    started = time.monotonic()
    run_id = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    trajectory = Trajectory(
        workspace.root / ".workbench" / "trajectories" / f"{run_id}{TRAJECTORY_SUFFIX}",
        {
            "run_id": run_id,
            "model": model,
            "mode": handle.mode,
            "source": handle.source,
            "agent": agent.name,
            "workspace": str(workspace.root),
        },
    )
    broadcast(observers, RunStarted(handle.mode, handle.source, model, handle.label, handle.notice))
    stop_event = stop_event or threading.Event()
    ctx = ToolContext(
        workspace=workspace, answer=answer, test_timeout=test_timeout, stop_event=stop_event
    )
    toolset = open_toolset(agent, workspace, mcp_servers)
    for warning in toolset.warnings:  # a server that would not start: the run goes on
        broadcast(observers, Notice(warning, "warning"))
        trajectory.step("notice", level="warning", message=warning)
    loop = AgentLoop(
        handle,
        model=model,
        system=build_system_prompt(agent, workspace),
        tools=_tools(toolset.tools),
        ctx=ctx,
        budget=budget or Budget(),
        trajectory=trajectory,
        observers=observers,
        max_tokens=settings.max_tokens,
        stop_event=stop_event,
    )
    try:
        outcome = loop.run(prompt)
    except Exception as exc:  # the run must still be recorded
        outcome = loop.outcome
        outcome.status, outcome.reason = "error", f"internal error: {type(exc).__name__}: {exc}"
        trajectory.step("end", status="error", reason=outcome.reason)
    finally:
        toolset.close()
    result = RunResult(
        status=outcome.status,
        reason=outcome.reason,
        prompt=prompt,
        mode=handle.mode,
        source=handle.source,
        model=model,
        contract=outcome.contract,
        checks=outcome.checks,
        files_changed=workspace.changed_files(),
        diff=workspace.diff(),
        tool_trace=outcome.tool_trace,
        usage=outcome.usage,
        cost_usd=outcome.cost_usd,
        duration_s=time.monotonic() - started,
        turns=outcome.turns,
        final_text=outcome.final_text,
        trajectory_path=trajectory.path,
    )
    if outcome.contract is not None:
        result.adr_suggestions = [
            suggestion_text(decision) for decision in outcome.contract.significant_decisions()
        ]
    try:
        result.phr_path = write_phr(history_dir, prompt_record(result, outcome, command))
    except Exception as exc:  # a history fault is reported, not raised
        result.reason += f"; the PHR could not be written: {exc}"
    trajectory.info.update(result.to_dict())
    trajectory.save()
    trajectory.close()
    broadcast(observers, RunFinished(result))
    return result


def _tools(tools: list) -> list:
    if env_flag(SUPPRESS_ENV):
        tools = [
            SuppressedEdits(t) if t.name == "str_replace_based_edit_tool" else t for t in tools
        ]
    return tools


def _default_model(handle: ClientHandle, agent: AgentDefinition) -> str:
    if handle.mode == "replay" and handle.cassette is not None:
        return handle.cassette.model
    return get_settings().model or agent.resolved_model()


def prompt_record(result: RunResult, outcome: LoopOutcome, command: str) -> PromptRecord:
    contract = outcome.contract
    checks = result.checks
    passed = sum(check.passed for check in checks)
    checks_line = f"{passed}/{len(checks)} acceptance checks passed" if checks else "no checks run"
    if contract is not None:
        phr = contract.phr
        title, stage, feature, labels = phr.title, phr.stage, phr.feature, list(phr.labels)
        snapshot = contract.surface_and_success
        impact = contract.artifact_summary
        next_prompts = list(contract.follow_ups_and_risks)
    else:
        title, stage, feature, labels = fallback_title(result.prompt), "general", "none", []
        snapshot = f"The run ended {result.status}: {result.reason}."
        impact = f"No contract: the run ended {result.status} ({result.reason})."
        next_prompts = ["Re-run the prompt once the cause above is fixed."]
    failures = [check.test for check in checks if not check.passed]
    title, snapshot, impact = map(quote_placeholders, (title, snapshot, impact))
    next_prompts = [quote_placeholders(item) for item in next_prompts]
    return PromptRecord(
        title=title,
        stage=stage,
        prompt=result.prompt,
        response_snapshot=snapshot,
        model=result.model,
        feature=feature,
        branch=_git_branch(),
        user=_user(),
        command=command,
        labels=labels,
        files=result.files_changed,
        tests=[check.test for check in checks],
        impact=impact,
        tests_summary=checks_line,
        files_summary=", ".join(result.files_changed) or "no files changed",
        next_prompts=next_prompts,
        reflection=reflection(result),
        failure_modes=(
            f"status {result.status}: {result.reason}"
            if result.status != "ok"
            else ("failed checks: " + ", ".join(failures) if failures else "none observed")
        ),
        graders=f"acceptance checks: {checks_line}",
        prompt_variant=f"agent definition, {result.mode} mode ({result.source})",
        next_experiment="tighten the prompt where the run hesitated" if result.ok else "retry",
        status=result.status,
        source=result.source,
    )


def reflection(result: RunResult) -> str:
    """What the run itself shows: effort, tool errors, checks, decisions worth an ADR."""
    calls = len(result.tool_trace)
    errors = sum(entry.is_error for entry in result.tool_trace)
    passed = sum(check.passed for check in result.checks)
    text = (
        f"{result.turns} turns and {calls} tool calls ({errors} returned an error); "
        f"{passed}/{len(result.checks)} acceptance checks passed"
    )
    sources = sorted(
        {e.name for e in result.tool_trace if e.name.startswith("mcp__") or e.name == "run_command"}
    )
    if sources:  # MCP tools and CLI commands the answer rests on
        text += f"; sources consulted: {', '.join(sources)}"
    if result.adr_suggestions:
        text += f"; {len(result.adr_suggestions)} decision(s) met the ADR significance test"
    return text + "."


def fallback_title(prompt: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", prompt)[:5]
    while len(words) < 3:
        words.append("request")
    return " ".join(words)


def _git_branch() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--abbrev-ref", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "none"
    return out.stdout.strip() or "none"


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "none"
