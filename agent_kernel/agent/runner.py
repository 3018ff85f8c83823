"""One run, start to finish: the loop, then the diff, the PHR and the result.

Whatever happens inside the loop, a run returns a `RunResult` and leaves its trajectory and
its Prompt History Record behind.
"""

from __future__ import annotations

import getpass
import re
import subprocess
import threading
import time
from pathlib import Path

from ..api.client import ClientHandle
from ..history.adr import suggestion_text
from ..history.phr import PromptRecord, quote_placeholders, write_phr
from ..history.redaction import register_secret
from ..project.containment import OFF_WARNING, policy_root, sandbox_mode
from ..project.pytest_server import prestart as prestart_pytest
from ..project.workspace import Workspace
from ..settings import env_flag, get_settings
from ..specs.memory import load_memory
from ..specs.stages import STAGE_KEY, prepare_stage
from ..tools.base import AnswerProvider, ToolContext
from ..tools.permission_rules import apply_rules, load_rules
from ..tools.permissions import DEFAULT_MODE, PLAN, Approver, apply_mode
from ..tools.suppressed import SUPPRESS_ENV, SuppressedEdits
from .budget import Budget
from .context import ContextWindow
from .definition import AgentDefinition
from .events import Notice, Observer, RunFinished, RunStarted, broadcast
from .inbox import Inbox
from .loop import AgentLoop
from .result import RunResult
from .session import Session
from .spec_flow import finish_stage, prove_tests, red_green_line
from .system_prompt import build_system_prompt
from .toolset import McpApprover, open_toolset
from .usage import spend_text


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
    session: Session | None = None,
    permission_mode: str = DEFAULT_MODE,
    approver: Approver | None = None,
    inbox: Inbox | None = None,
    context: ContextWindow | None = None,
    mcp_servers: dict | str | Path | None = None,
    approve_mcp: McpApprover | None = None,
    feature: str | None = None,
    session_feature: str | None = None,
    user_memory: bool = True,
) -> RunResult:
    """One prompt; with `session`, the next prompt of that conversation (it sees the rest).

    `mcp_servers` adds MCP servers (a map or a `.mcp.json`) to the project's own `.mcp.json`:
    they are started for this run and stopped after it. A `/sp.<stage>` prompt lays down its
    file first (in `feature`, else `session_feature`, else the newest); a stage that cannot
    start raises StageError before anything else happens.
    """
    # Read as the run starts: the project memory first, then the stage lays down its file.
    memory = load_memory(workspace.root, user=user_memory)
    before = workspace.digests()  # what this prompt changes (its stage file too), not the session's
    stage = prepare_stage(prompt, workspace.root, feature=feature, session_feature=session_feature)
    prestart_pytest()  # its imports overlap with the first turns
    settings = get_settings()
    if settings.api_key:
        register_secret(settings.api_key)
    observers = list(observers or [])
    model = model or _default_model(handle, agent)
    started = time.monotonic()
    info = {
        "model": model,
        "mode": handle.mode,
        "source": handle.source,
        "agent": agent.name,
        "permission_mode": permission_mode,
        # what a later `--resume` replays again without being told
        "cassette": str(handle.cassette.path) if handle.cassette and handle.cassette.path else None,
    }
    if session is None:
        session = Session.start(workspace.root, info)
    else:
        session.trajectory.info.update(info)
        session.close_dangling_tool_calls()
        if handle.recorder is not None and session.runs:  # a recorded conversation goes on
            handle.recorder.mark_prompt(prompt)
    trajectory = session.trajectory
    broadcast(observers, RunStarted(handle.mode, handle.source, model, handle.label, handle.notice))
    stop_event = stop_event or threading.Event()
    ctx = ToolContext(
        workspace=workspace, answer=answer, test_timeout=test_timeout, stop_event=stop_event
    )
    if stage is not None:
        ctx.extra[STAGE_KEY] = stage
        trajectory.step("stage", **stage.to_dict())
    if handle.replay is not None:
        handle.replay.memory = memory.digests()
    if handle.recorder is not None:
        handle.recorder.mark_memory(memory.digests())
    toolset = open_toolset(agent, workspace, mcp_servers, approve_mcp=approve_mcp)
    if sandbox_mode(workspace) == "off":
        toolset.warnings.insert(0, OFF_WARNING)
    for warning in toolset.warnings:  # a server that would not start: the run goes on
        broadcast(observers, Notice(warning, "warning"))
        trajectory.step("notice", level="warning", message=warning)
    for note in toolset.notes:  # a configured server the agent file leaves unused
        broadcast(observers, Notice(note, "info"))
        trajectory.step("notice", level="info", message=note)
    loop = AgentLoop(
        handle,
        model=model,
        system=build_system_prompt(agent, workspace, memory, stage),
        tools=apply_rules(
            apply_mode(_tools(toolset.tools), permission_mode, approver),
            load_rules(policy_root(workspace)),
            approver,
        ),
        ctx=ctx,
        budget=budget or Budget(),
        trajectory=trajectory,
        observers=observers,
        max_tokens=settings.max_tokens,
        stop_event=stop_event,
        inbox=inbox,
        context=context if context is not None else ContextWindow(),
    )
    try:
        result = loop.run(prompt)
    except Exception as exc:  # the run must still be recorded
        result = loop.outcome
        result.status, result.reason = "error", f"internal error: {type(exc).__name__}: {exc}"
        trajectory.step("end", status="error", reason=result.reason)
    finally:
        toolset.close()
    result.prompt = prompt
    result.memory = memory.paths
    prove_tests(result, workspace, before, stage, ctx, observers)
    if stage is not None:
        finish_stage(result, stage, workspace, ctx)
    result.files_changed = workspace.changed_since(before)
    result.diff = workspace.diff()
    result.duration_s = time.monotonic() - started
    result.trajectory_path = trajectory.path
    result.session_id = session.id
    result.permission_mode = permission_mode
    result.plan = list(ctx.extra.get(PLAN, []))
    result.approvals = list(ctx.extra.get("approvals", []))
    if result.contract is not None:
        # a history inside the workspace (a replayed lesson's) is named in the hint
        own = history_dir if Path(history_dir).resolve().is_relative_to(workspace.root) else None
        result.adr_suggestions = [
            suggestion_text(decision, own) for decision in result.contract.significant_decisions()
        ]
    previous = session.phr_paths[-1] if session.phr_paths else None
    try:
        record = prompt_record(result, command, session=session.id, previous=previous)
        if stage is not None:  # a stage's record is the stage's, contract or not
            record.stage = str(result.stage["phr_stage"]) if result.stage else stage.phr_stage
            record.feature = stage.feature or "none"
            if stage.spec_path:
                record.links["spec"] = stage.spec_path
        result.phr_path = write_phr(history_dir, record)
    except Exception as exc:  # a history fault is reported, not raised
        result.reason += f"; the PHR could not be written: {exc}"
    trajectory.info.update(result.to_dict())
    session.record_run(result.summary(history_dir))
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


def prompt_record(
    result: RunResult, command: str, *, session: str = "", previous: str | None = None
) -> PromptRecord:
    """The PHR of a run, every sentence taken from the run itself (never a canned line)."""
    contract = result.contract
    checks = result.checks
    passed = sum(check.passed for check in checks)
    checks_line = f"{passed}/{len(checks)} acceptance checks passed" if checks else "no checks run"
    if result.red_green:
        checks_line += "; " + red_green_line(result.red_green)
    failures = [check.test for check in checks if not check.passed]
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
        next_prompts = []
    if not next_prompts:
        next_prompts = [_next_from_run(result, failures)]
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
        links={"previous": previous} if previous else {},
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
        next_experiment=_next_experiment(result, failures),
        status=result.status,
        source=result.source,
        session=session,
        red_green=list(result.red_green),
    )


def _next_from_run(result: RunResult, failures: list[str]) -> str:
    """What the run itself points at next, or a plain statement that it recorded nothing."""
    if failures:
        return "make the failing checks pass: " + ", ".join(failures)
    if result.status != "ok":
        return f"address why the run ended {result.status}: {result.reason}"
    if result.plan:
        return f"accept or revise the plan of {len(result.plan)} proposed edit(s)"
    return "none recorded (the contract listed no follow-ups or risks)"


def _next_experiment(result: RunResult, failures: list[str]) -> str:
    errors = [entry for entry in result.tool_trace if entry.is_error]
    if failures:
        return f"re-run with the failing checks named in the prompt ({', '.join(failures)})"
    if result.status == "budget_exceeded":
        return f"the run hit a budget ({result.reason}); raise that limit or narrow the prompt"
    if result.status != "ok":
        return f"re-run once this is resolved: {result.reason}"
    if errors:
        names = sorted({entry.name for entry in errors})
        return f"{len(errors)} tool call(s) returned an error ({', '.join(names)}); see the trace"
    return "none recorded (the run passed its checks without tool errors)"


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
    rejected = [a for a in result.approvals if not a.get("approved")]
    if rejected:
        text += f"; {len(rejected)} edit(s) rejected in review"
    usage = result.usage
    tokens_in = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    spend = spend_text(
        tokens_in, usage.output_tokens, result.cost_usd, model=result.model, source=result.source
    )
    return f"{text}; {spend}."


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
