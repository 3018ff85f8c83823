"""`workbench eval`: run the suite, score it, print and write the report.

`add_parser(subparsers)` registers the command on the main CLI; `run(args)` runs it. Exit
status 0 when the harness ran (whatever the scores), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import io
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
  workbench eval --mode live --model sonnet --model opus --report ~/eval.md
                                                     compare two models (needs a key)
  workbench eval --mode live --agent a.md --agent b.md --tasks auth_jwt,cors_headers
                                                     compare two agent prompts on two tasks
  workbench eval --mode live --model sonnet --model opus --samples 5 --executor dask
                                                     5 samples a task, pass@1..5 with intervals
  workbench eval --baxbench ~/baxbench --tasks Login,Calculator --mode replay --sessions s/
                                                     BaxBench scenarios, scripted sessions
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
    parser.add_argument(
        "--samples", type=int, default=1, metavar="N", help="runs of every task (pass@1..N)"
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="REPORT.json",
        help="a JSON report (--json output) whose scored runs are kept, not run again",
    )
    parser.add_argument(
        "--executor",
        default="local",
        metavar="local|dask[:ADDRESS]",
        help="threads here (default), a LocalCluster (dask) or a scheduler (dask:tcp://host:8786)",
    )
    parser.add_argument(
        "--max-concurrency",
        type=int,
        metavar="N",
        help="at most N runs of one model at a time (API rate limits); default: no cap",
    )
    bax = parser.add_argument_group("BaxBench")
    bax.add_argument(
        "--baxbench", type=Path, metavar="DIR", help="a BaxBench checkout: its scenarios as tasks"
    )
    bax.add_argument(
        "--sessions",
        type=Path,
        metavar="DIR",
        help="scripted sessions for the BaxBench scenarios, DIR/<scenario id>.yaml",
    )
    bax.add_argument(
        "--safety-prompt",
        choices=("none", "generic", "specific"),
        default="none",
        help="BaxBench's security reminder in the prompt (default none)",
    )
    bax.add_argument(
        "--prompt",
        choices=("agent", "oneshot"),
        default="agent",
        help="agent: BaxBench's agent prompt, the workbench's tool-using run (default); "
        "oneshot: BaxBench's generation prompt sent once, the code cut from the reply as "
        "BaxBench does (the leaderboard's setting)",
    )
    bax.add_argument(
        "--packages",
        choices=("check", "install", "pinned"),
        help="check: warn on every package that differs from BaxBench's pins; install: "
        "pip-install the missing ones here; pinned: run the apps on an environment with "
        "BaxBench's pinned versions (built once, reused)",
    )
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


def _fail(message: str, as_json: bool = False) -> int:
    """A usage error: on stderr, and with --json also as a JSON object on stdout."""
    print(f"workbench eval: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"error": message, "exit_code": EXIT_USAGE}), flush=True)
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


def _check_usage(
    args: argparse.Namespace, meta: dict[str, Any] | None = None
) -> tuple[list[Any], list[Any], dict[str, Any], str]:
    from ..agent.definition import AgentDefinitionError, load_agent
    from ..api.client import ModeError, choose_mode
    from ..settings import get_settings
    from .executors import parse_executor
    from .suite import DEFAULT_SESSION, SuiteError, load_suite

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.samples < 1:
        raise UsageError("--samples must be at least 1")
    if args.max_concurrency is not None and args.max_concurrency < 1:
        raise UsageError("--max-concurrency must be at least 1")
    if args.timeout <= 0 or args.check_timeout <= 0:
        raise UsageError("--timeout and --check-timeout must be positive")
    try:
        parse_executor(args.executor)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    ids = [item.strip() for item in (args.tasks or "").split(",") if item.strip()]
    if args.baxbench is None and (args.sessions or args.packages or args.prompt != "agent"):
        raise UsageError("--sessions, --packages and --prompt go with --baxbench DIR")
    if args.baxbench is not None:
        tasks = _baxbench_tasks(args, ids, meta if meta is not None else {})
    else:
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
        if args.baxbench is not None:
            raise UsageError(
                "replay needs a scripted session per scenario: --sessions DIR with "
                + ", ".join(f"{task.id}.yaml" for task in tasks)
            )
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


def _baxbench_tasks(args: argparse.Namespace, ids: list[str], meta: dict[str, Any]) -> list[Any]:
    """The scenarios, and in `meta` what the run measures (for the report's head)."""
    from .baxbench import (
        BaxBenchError,
        allowed_packages,
        checkout_commit,
        differences,
        install_missing,
        load_baxbench,
        package_status,
        pinned_environment,
    )

    def say(line: str) -> None:
        print(f"workbench eval: {line}", file=sys.stderr, flush=True)

    try:
        pins = allowed_packages(args.baxbench)
        python = None
        if args.packages == "pinned":
            say("the pinned environment (BaxBench's package versions): building once or reusing")
            python = str(pinned_environment(args.baxbench, log=lambda line: say(f"  {line}")))
        if args.packages == "install":
            done = install_missing(package_status(pins))
            if done is not None and done.returncode != 0:
                raise UsageError(f"pip could not install them: {done.stderr.strip()[-800:]}")
        rows = package_status(pins, python)
        different = differences(rows)
        if args.packages == "check":
            for row in rows:
                say(
                    f"BaxBench package {row['package']} (BaxBench pins "
                    f"{row['baxbench'] or 'any'}): {row['installed'] or 'MISSING'}"
                )
        if args.packages in ("check", "pinned"):
            for line in different:
                say(f"warning: {line}")
        skipped: list[str] = []
        tasks = load_baxbench(
            args.baxbench,
            ids,
            sessions_dir=args.sessions,
            safety=args.safety_prompt,
            skipped=skipped,
            prompt_style=args.prompt,
            python=python,
        )
        for reason in skipped:
            say(f"BaxBench scenario left out: {reason}")
        meta.update(
            measured_meta(args, tasks, rows, different, python, checkout_commit(args.baxbench))
        )
        return tasks
    except BaxBenchError as exc:
        raise UsageError(str(exc)) from exc


def measured_meta(
    args: argparse.Namespace,
    tasks: list[Any],
    rows: list[dict[str, Any]],
    different: list[str],
    python: str | None,
    commit: str | None,
) -> dict[str, Any]:
    """What a BaxBench run measures: the head of its JSON and Markdown reports."""
    import platform
    import subprocess

    if python:
        done = subprocess.run([python, "--version"], capture_output=True, text=True)
        version = (done.stdout or done.stderr).strip().removeprefix("Python ")
    else:
        version = platform.python_version()
    return {
        "benchmark": "BaxBench",
        "baxbench_commit": commit or "unknown (not a git checkout)",
        "prompt": args.prompt,
        "temperature": "the model's default (BaxBench: 0.2)"
        if args.prompt == "oneshot"
        else "the agent's",
        "safety_prompt": args.safety_prompt,
        "spec": "openapi",
        "framework": ", ".join(sorted({t.framework for t in tasks})) or "Python-FastAPI",
        "app_start": "python3 app.py in /app, APP_SECRET set, port 5000, one container a test",
        "container": "bubblewrap sandbox (own root, /tmp, PID and network namespaces)",
        "packages": {
            "environment": "pinned (BaxBench's versions)" if python else "the workbench's own",
            "python": version,
            "baxbench_python": "3.12",
            "versions": rows,
            "differences": different,
        },
        "scenarios": [t.id for t in tasks],
    }


def _resumed(path: Path | None) -> list[Any]:
    """The scored runs of an earlier JSON report (errors and timeouts run again)."""
    from .runner import TaskResult

    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8").strip().splitlines()[-1])
        rows = data["tasks"]
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise UsageError(f"--resume {path}: not a workbench eval JSON report ({exc})") from exc
    return [TaskResult.from_dict(row) for row in rows if row.get("status") == "done"]


def run(args: argparse.Namespace) -> int:
    """Run `workbench eval` with parsed arguments; the exit status."""
    from .executors import run_suite
    from .report import EvalReport, progress_line, render_terminal, write_report
    from .runner import EvalConfig
    from .scoring import summarise
    from .suite import DEFAULT_SESSION, default_suite_dir

    meta: dict[str, Any] = {}
    try:
        tasks, variants, agents, mode = _check_usage(args, meta)
        done_before = _resumed(args.resume)
    except UsageError as exc:
        return _fail(str(exc), args.json)
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
    total = len(tasks) * len(variants) * args.samples
    done_keys = {result.key for result in done_before}
    multi = len(variants) > 1
    done = 0
    err = sys.stderr

    def progress(event: str, result: Any, task: Any, variant: Any) -> None:
        nonlocal done
        if event == "done":
            done += 1
            print(progress_line(done, total, result, multi, args.samples), file=err, flush=True)

    kept = sum(
        (t.id, v.label, n) in done_keys
        for v in variants
        for t in tasks
        for n in range(1, args.samples + 1)
    )
    done = kept
    print(
        f"workbench eval: {len(tasks)} task(s) x {len(variants)} variant(s) x "
        f"{args.samples} sample(s), mode {mode}, executor {args.executor}, {args.jobs} job(s)"
        + (f", {kept} run(s) kept from {args.resume}" if args.resume else ""),
        file=err,
        flush=True,
    )
    started = time.monotonic()
    try:
        results = run_suite(
            tasks,
            variants,
            config,
            jobs=args.jobs,
            progress=progress,
            agents=agents,
            samples=args.samples,
            executor=args.executor,
            max_concurrency=args.max_concurrency,
            done=done_before,
        )
    except (OSError, RuntimeError) as exc:
        return _fail(f"the {args.executor} executor failed: {exc}", args.json)
    suite_name = str(args.baxbench) if args.baxbench else str(args.suite or default_suite_dir())
    report = EvalReport(
        suite=suite_name,
        mode=mode,
        session=(str(args.sessions) if args.baxbench else config.session)
        if mode == "replay"
        else "live",
        jobs=args.jobs,
        results=results,
        summaries=summarise(results, variants),
        wall_s=time.monotonic() - started,
        samples=args.samples,
        executor=args.executor,
        kind="baxbench" if args.baxbench else "suite",
        meta=meta,
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
    argv = sys.argv[1:] if argv is None else list(argv)
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        text = errors.getvalue()
        sys.stderr.write(text)
        if exc.code and "--json" in argv:
            message = text.strip().splitlines()[-1] if text.strip() else "bad usage"
            print(json.dumps({"error": message, "exit_code": EXIT_USAGE}), flush=True)
        return EXIT_OK if not exc.code else EXIT_USAGE
    sys.stderr.write(errors.getvalue())
    return run(args)
