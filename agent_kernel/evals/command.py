"""`workbench eval`: run the suite, score it, print and write the report.

`add_parser(subparsers)` registers the command on the main CLI; `run(args)` runs it. Exit
status 0 when the harness ran (whatever the scores), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2
EVAL_MODES = ("live", "replay", "auto")
DESCRIPTION = (
    "Run every task of the suite in a fresh workspace, then its hidden functional and "
    "security checks; report pass@1, secure-pass@1, turns, tokens, cost, time and diff size."
)
EPILOG = """examples:
  workbench eval --mode replay --jobs 2              the suite offline, from scripted sessions
  workbench eval --mode replay --session flawed      the deliberately flawed sessions
  workbench eval --mode live --model sonnet --model opus --report out/eval.md
                                                     compare two models (needs a key)
  workbench eval --mode live --agent a.md --agent b.md --tasks auth_jwt,cors_headers
                                                     compare two agent prompts on two tasks
"""


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--suite", type=Path, help="suite folder (default: the repository's evals/)"
    )
    parser.add_argument(
        "--mode",
        choices=EVAL_MODES,
        help="live, replay (scripted sessions, offline) or auto (live with a key); default auto",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="M",
        help="model alias or id; repeat to compare models",
    )
    parser.add_argument(
        "--agent",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="agent definition file; repeat to compare prompt variants",
    )
    parser.add_argument("--tasks", help="comma-separated task ids (default: all)")
    parser.add_argument(
        "--session",
        default=None,
        metavar="NAME",
        help="scripted session to replay from each task's sessions/ (default: reference)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="tasks run in parallel (default: CPU count, at most 4)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object as the last line")
    parser.add_argument(
        "--report", type=Path, metavar="FILE", help="write a Markdown report (+ PNG chart)"
    )
    parser.add_argument(
        "--history", type=Path, help="history dir for the runs' PHRs (default: temp)"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per agent run")
    parser.add_argument(
        "--check-timeout", type=float, default=120.0, help="seconds for a task's hidden checks"
    )
    parser.add_argument("--max-turns", type=int, default=40)
    parser.add_argument("--max-cost", type=float, help="USD budget per task")
    parser.add_argument("--keep", action="store_true", help="keep each task's workspace")
    return parser


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `eval` on the main CLI's subparsers."""
    parser = subparsers.add_parser(
        "eval",
        help="score the agent on the task suite (hidden functional and security checks)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return add_arguments(parser)


class UsageError(ValueError):
    """Arguments that cannot make an evaluation."""


def _fail(message: str) -> int:
    print(f"workbench eval: {message}", file=sys.stderr)
    return EXIT_USAGE


def build_variants(models: list[str], agents: list[Path]) -> list[Any]:
    """One variant per model x agent file, each with a short unique label."""
    from ..agent.models import UnknownModelError, resolve_model
    from .runner import Variant

    try:
        resolved = [resolve_model(m) for m in models] or [None]
    except UnknownModelError as exc:
        raise UsageError(str(exc)) from exc
    agent_paths: list[Path | None] = list(agents) or [None]
    variants, seen = [], set()
    for model in resolved:
        for agent in agent_paths:
            parts = []
            if len(resolved) > 1 or models:
                parts.append(model or "default")
            if agents:
                parts.append(agent.stem if agent else "default")
            label = " + ".join(parts) or "default"
            base, n = label, 2
            while label in seen:
                label, n = f"{base} ({n})", n + 1
            seen.add(label)
            variants.append(Variant(label, model, agent))
    return variants


def _check_usage(args: argparse.Namespace) -> tuple[list[Any], list[Any], dict[str, Any], str]:
    from ..agent.definition import AgentDefinitionError, load_agent
    from ..api.client import ModeError, choose_mode
    from ..settings import get_settings
    from .suite import DEFAULT_SESSION, SuiteError, load_suite

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.timeout <= 0 or args.check_timeout <= 0:
        raise UsageError("--timeout and --check-timeout must be positive")
    ids = [item.strip() for item in (args.tasks or "").split(",") if item.strip()]
    try:
        tasks = load_suite(args.suite, ids or None)
    except SuiteError as exc:
        raise UsageError(str(exc)) from exc
    settings = get_settings()
    try:
        mode, notice = choose_mode(args.mode, settings)
    except ModeError as exc:
        raise UsageError(str(exc)) from exc
    if mode == "live" and not settings.api_key:
        raise UsageError(
            "live mode needs ANTHROPIC_API_KEY (environment or .env); "
            "use --mode replay to run the scripted sessions offline"
        )
    session = args.session or DEFAULT_SESSION
    if mode == "replay" and not any(task.session_path(session).is_file() for task in tasks):
        known = sorted({name for task in tasks for name in task.sessions()})
        raise UsageError(
            f"no selected task has a scripted session {session!r}; "
            f"sessions in the suite: {', '.join(known) or 'none'}"
        )
    variants = build_variants(args.model, args.agent)
    agents = {}
    for variant in variants:
        try:
            agents[variant.label] = load_agent(variant.agent_path)
        except AgentDefinitionError as exc:
            raise UsageError(str(exc)) from exc
    if notice:
        print(f"workbench eval: {notice}", file=sys.stderr)
    return tasks, variants, agents, mode


def run(args: argparse.Namespace) -> int:
    """Run `workbench eval` with parsed arguments; the exit status."""
    from .executors import run_suite
    from .report import EvalReport, progress_line, render_terminal, write_report
    from .runner import EvalConfig
    from .scoring import summarise
    from .suite import DEFAULT_SESSION, default_suite_dir

    try:
        tasks, variants, agents, mode = _check_usage(args)
    except UsageError as exc:
        return _fail(str(exc))
    config = EvalConfig(
        mode=mode,
        session=args.session or DEFAULT_SESSION,
        session_explicit=args.session is not None,
        history_dir=args.history,
        task_timeout=args.timeout,
        check_timeout=args.check_timeout,
        max_turns=args.max_turns,
        max_cost_usd=args.max_cost,
        keep_workspaces=args.keep,
    )
    total = len(tasks) * len(variants)
    multi = len(variants) > 1
    done = 0
    err = sys.stderr

    def progress(event: str, result: Any, task: Any, variant: Any) -> None:
        nonlocal done
        if event == "done":
            done += 1
            print(progress_line(done, total, result, multi), file=err, flush=True)

    print(
        f"workbench eval: {len(tasks)} task(s) x {len(variants)} variant(s), mode {mode}, "
        f"{args.jobs} job(s)",
        file=err,
        flush=True,
    )
    started = time.monotonic()
    results = run_suite(tasks, variants, config, jobs=args.jobs, progress=progress, agents=agents)
    report = EvalReport(
        suite=str(args.suite or default_suite_dir()),
        mode=mode,
        session=config.session if mode == "replay" else "live",
        jobs=args.jobs,
        results=results,
        summaries=summarise(results, variants),
        wall_s=time.monotonic() - started,
    )
    out = sys.stderr if args.json else sys.stdout
    print(render_terminal(report), file=out, flush=True)
    payload = report.to_dict()
    payload["report"] = payload["chart"] = None
    if args.report:
        try:
            markdown, chart = write_report(report, args.report)
        except OSError as exc:
            print(f"workbench eval: the report could not be written: {exc}", file=sys.stderr)
        else:
            payload["report"], payload["chart"] = str(markdown), str(chart)
            print(f"report: {markdown} (chart: {chart})", file=out, flush=True)
    if args.json:
        print(json.dumps(payload, default=str), flush=True)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """`python -m agent_kernel.evals [options]`: the same command without the main CLI."""
    parser = add_arguments(
        argparse.ArgumentParser(
            prog="python -m agent_kernel.evals",
            description=DESCRIPTION,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if not exc.code else EXIT_USAGE
    return run(args)
