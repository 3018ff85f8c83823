"""The `workbench` command. Heavy imports wait until a subcommand needs them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Run the FastAPI backend agent, check what it built, keep its history.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the agent on a prompt in a workspace")
    run.add_argument(
        "prompt",
        nargs="?",
        help="the request, verbatim (- reads it from stdin); left out: the cassette's own "
        "next prompt (none with --accept-plan)",
    )
    run.add_argument(
        "--workspace",
        type=Path,
        help="workspace dir, kept (default: a temp one, removed when the command ends)",
    )
    run.add_argument(
        "--keep", action="store_true", help="keep the temp workspace (to --resume it later)"
    )
    run.add_argument(
        "--project", type=Path, help="an existing FastAPI project to work on (a private copy)"
    )
    _project_options(run)
    run.add_argument(
        "--history",
        type=Path,
        help="history dir for PHRs (default: the repository's history/; a replay of a "
        "scripted session writes into its workspace's .workbench/history/)",
    )
    run.add_argument("--mode", choices=["live", "record", "replay", "auto"])
    run.add_argument("--cassette", type=Path, help="cassette to replay or record to")
    run.add_argument("--model", help="model alias (sonnet, opus, haiku) or full id")
    run.add_argument("--agent", type=Path, help="agent definition file (Claude Code format)")
    run.add_argument("--max-turns", type=_positive(int), default=40)
    run.add_argument(
        "--max-cost", type=_positive(float), help="stop when the run has cost this many USD"
    )
    run.add_argument("--max-output-tokens", type=_positive(int))
    run.add_argument("--max-seconds", type=_positive(float))
    run.add_argument("--answer", action="append", default=[], help="answer for ask_user (repeat)")
    run.add_argument("--json", action="store_true", help="print the result as JSON (last line)")
    run.add_argument("--verbose", action="store_true", help="show usage after every turn")
    run.add_argument(
        "--quiet", action="store_true", help="do not print the contract, checks and diff"
    )
    run.add_argument("--mcp-config", type=Path, help="a .mcp.json of MCP servers for this run")
    run.add_argument(
        "--approve-mcp",
        action="append",
        default=[],
        metavar="NAME",
        help="start this server of the project's .mcp.json (approval remembered; repeat)",
    )
    run.add_argument(
        "--sandbox",
        choices=["on", "off"],
        help="on (default): the agent's commands, tests and servers run in the OS sandbox; "
        "off: uncontained, with a warning on every run",
    )

    run.add_argument("--feature", help="the specs/NNN-name feature a /sp.* stage works on")
    run.add_argument(
        "--resume",
        metavar="SESSION_ID",
        help="continue a saved session (a replayed one goes on from its own cassette)",
    )
    run.add_argument(
        "--accept-plan",
        action="store_true",
        help="with --resume: carry out the plan the session's last prompt proposed",
    )
    run.add_argument(
        "--permission-mode",
        choices=["plan", "ask", "accept-edits"],
        default="accept-edits",
        help="plan: propose, write nothing; ask: approve each edit; accept-edits (default)",
    )
    run.add_argument(
        "--approve",
        action="append",
        default=[],
        help="an answer for ask mode, given up front "
        "('approve' or 'reject: reason'; repeat, used in order)",
    )

    sub.add_parser("demo", help="replay the tour's scripted session offline (no key needed)")
    sessions = sub.add_parser(
        "sessions", help="list saved sessions (id, project, first prompt, cost)"
    )
    which = sessions.add_mutually_exclusive_group()
    which.add_argument("--workspace", type=Path, help="only the sessions of this workspace")
    which.add_argument("--project", help="only the sessions of this project (name or dir)")
    which.add_argument(
        "--all", action="store_true", help="the sessions of every checkout, not only this one"
    )

    adr = sub.add_parser("adr", help="Architecture Decision Records")
    adr_sub = adr.add_subparsers(dest="adr_command", metavar="ACTION")
    new = adr_sub.add_parser("new", help="write a new ADR (only ever on request)")
    new.add_argument("title")
    new.add_argument("--context", default="")
    new.add_argument("--decision", default="")
    new.add_argument("--feature", default="none")
    new.add_argument("--history", type=Path)

    from ..evals.command import add_parser as add_eval_parser

    add_eval_parser(sub)

    inspect = sub.add_parser("inspect", help="what the workbench finds in a FastAPI project")
    inspect.add_argument("--project", type=Path, default=Path("."), help="project dir (.)")
    _project_options(inspect)

    clean = sub.add_parser("clean", help="remove the workbench's stale worktrees and temp dirs")
    clean.add_argument("--dry-run", action="store_true", help="list them, remove nothing")

    # Defined here, not in mcp_server: that module imports pydantic and the contract, which
    # `workbench --help` must not pay for.
    mcp = sub.add_parser("mcp", help="serve the workbench's tools over MCP (for Claude Code)")
    mcp.add_argument("--workspace", type=Path, default=Path("."), help="project (default: .)")
    mcp.add_argument("--history", type=Path, help="history dir (default: <project>/history)")
    mcp.add_argument(
        "--http", type=int, metavar="PORT", help="streamable HTTP on 127.0.0.1:PORT, not stdio"
    )

    history = sub.add_parser("history", help="list, show or search Prompt History Records")
    history.add_argument("action", nargs="?", default="list", choices=["list", "show", "search"])
    history.add_argument(
        "arg", nargs="?", help="ID for show (feature/NNNN, e.g. auth/0001), TEXT for search"
    )
    history.add_argument("--history", type=Path)
    return parser


def _project_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app", help='the project\'s app as "module:attr" (over its pyproject)')
    parser.add_argument("--python", help="the project's interpreter (default: its .venv, venv/)")


def _positive(kind: type) -> Any:
    """An argparse type: a number above zero (a zero budget would stop before the first turn)."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be above zero, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _mcp_approver(names: list[str]):
    """Servers named on the command line are approved; others are asked about at a terminal."""
    if names or not sys.stdin.isatty():
        return names

    def ask(config) -> bool:
        reply = input(f"Start MCP server {config.describe()} from the project's .mcp.json? [y/N] ")
        return reply.strip().lower() in ("y", "yes")

    return ask


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    if args.command == "run":
        return _run(args)
    if args.command == "demo":
        from .demo import run_demo

        return run_demo()
    if args.command == "adr":
        return _adr(args, parser)
    if args.command == "history":
        return _history(args)
    if args.command == "inspect":
        from .inspect import inspect_project

        return inspect_project(args.project, app=args.app, python=args.python)
    if args.command == "clean":
        from .clean import clean_command

        return clean_command(dry_run=args.dry_run)
    if args.command == "mcp":
        from .mcp_server import run as run_mcp

        return run_mcp(args)
    if args.command == "sessions":
        from .sessions import print_sessions

        return print_sessions(workspace=args.workspace, project=args.project, every=args.all)
    if args.command == "eval":
        from ..evals.command import run as run_eval

        return run_eval(args)
    parser.print_help()
    return EXIT_USAGE


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"workbench: {message}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace) -> int:
    from ..agent.definition import AgentDefinitionError
    from ..agent.models import UnknownModelError
    from ..agent.session import SessionError
    from ..api.cassette import CassetteError
    from ..api.client import ModeError
    from ..mcp.config import McpConfigError
    from ..settings import SettingsError
    from .preflight import check_run

    refusals = (
        SessionError,
        AgentDefinitionError,
        ModeError,
        CassetteError,
        SettingsError,
        UnknownModelError,
        McpConfigError,
        OSError,
        ValueError,  # a workspace or project that cannot be opened (WorkspaceError, ...)
        RuntimeError,
    )
    if args.accept_plan:
        if not args.resume:
            return _fail("--accept-plan needs --resume SESSION_ID (the session that planned)")
        if args.prompt:
            return _fail("--accept-plan carries out the session's plan; give no prompt")
        prompt = ""
    else:
        prompt = sys.stdin.read() if args.prompt == "-" else (args.prompt or "")
        if not prompt.strip() and args.prompt is not None:
            return _fail("the prompt is empty")
    try:  # every input is checked before the stack is imported or a folder made
        inputs = check_run(args)
        if not args.accept_plan and args.prompt is None:
            prompt = _cassette_prompt(args, inputs)
    except refusals as exc:
        return _fail(str(exc))
    return _run_checked(args, prompt, inputs, refusals)


def _cassette_prompt(args: argparse.Namespace, inputs: Any) -> str:
    """No prompt given: the next prompt of the cassette being replayed (offline only)."""
    from ..agent.session import Session
    from ..api.cassette import load_cassette

    if inputs.cassette is None or (args.mode or "") in ("live", "record"):
        raise ValueError("give a prompt (or --cassette FILE to replay that session's own)")
    prompts = load_cassette(inputs.cassette).prompts
    done = len(Session.load(args.resume, inputs.workspace).runs) if args.resume else 0
    if done >= len(prompts):
        raise ValueError(
            f"{inputs.cassette.name} has {len(prompts)} prompt(s), all replayed; give a prompt"
        )
    print(f"workbench: the prompt of {inputs.cassette.name} (prompt {done + 1})", file=sys.stderr)
    return prompts[done]


def _run_checked(args: argparse.Namespace, prompt: str, inputs: Any, refusals: tuple) -> int:
    from ..agent.budget import Budget
    from ..tools.ask_user import cli_answer
    from ..workbench import Workbench
    from .console import ConsoleObserver
    from .report import print_run_report
    from .sessions import approver_for

    budget = Budget(
        max_turns=args.max_turns,
        max_output_tokens=args.max_output_tokens,
        max_cost_usd=args.max_cost,
        max_seconds=args.max_seconds,
    )
    options: dict = {
        "project": args.project,
        "history": args.history,
        "python": args.python,
        "app": args.app,
        "mcp_servers": args.mcp_config,
        "sandbox": args.sandbox,
        "approve_mcp": _mcp_approver(args.approve_mcp),
        "mode": args.mode or "",
        "cassette": inputs.cassette,
        "answers": args.answer or None,
        "agent": args.agent,
        "model": args.model,
        "budget": budget,
        "display": False,
        "permission_mode": args.permission_mode,
        "keep": args.keep,
    }
    try:
        if args.resume:
            wb = Workbench.resume(args.resume, workspace=inputs.workspace, **options)
        else:
            wb = Workbench(workspace=args.workspace, **options)
        wb.approver = approver_for(args.permission_mode, args.approve)
        handle = wb.connect()
        if args.accept_plan and wb.pending_plan() is None:
            return _fail(
                f"session {args.resume} has no plan to accept (its last prompt was not "
                "run with --permission-mode plan)"
            )
    except refusals as exc:
        return _fail(str(exc))
    if wb.workspace.created:
        print(f"workbench: new workspace from the baseline at {wb.workspace.root}", file=sys.stderr)
    if handle.notice:  # said once, here: the stream below leaves it out
        print(f"workbench: {handle.notice}", file=sys.stderr)
    observer = ConsoleObserver(
        sys.stderr if args.json else sys.stdout, verbose=args.verbose, notices=False
    )
    from ..specs.features import FeatureError
    from ..specs.stages import StageError

    run_options = {"observers": [observer], "answer": cli_answer, "command": "workbench run"}
    try:
        if args.accept_plan:
            mode = args.permission_mode if args.permission_mode != "plan" else "accept-edits"
            result = wb.accept_plan(permission_mode=mode, **run_options)
        else:
            result = wb.run(prompt, feature=args.feature, **run_options)
    except (StageError, FeatureError) as exc:  # a /sp.* stage that cannot start
        return _fail(str(exc))
    if args.json:
        print(result.to_json())
    else:
        print_run_report(result, wb, quiet=args.quiet)
    return EXIT_OK if result.ok else EXIT_RUN_FAILED


def _adr(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.adr_command != "new":
        parser.print_help()
        return EXIT_USAGE
    from ..history.adr import AdrDraft, write_adr
    from ..workbench import default_history_dir

    draft = AdrDraft(
        title=args.title,
        context=args.context or "Recorded on request from the command line.",
        decision=args.decision or args.title,
        feature=args.feature,
    )
    try:
        path = write_adr(args.history or default_history_dir(), draft)
    except ValueError as exc:
        return _fail(str(exc))
    print(path)
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    from ..history.index import HistoryLog, find_records, search
    from ..workbench import default_history_dir
    from .report import shown_path

    history_dir = args.history or default_history_dir()
    log = HistoryLog.scan(history_dir)
    if args.action == "list":
        print(f"history: {shown_path(Path(history_dir).resolve())} ({len(log.records)} PHRs)")
        print(repr(log))
        if not args.history:
            print(REPLAY_HISTORY_NOTE)
        return EXIT_OK
    if not args.arg:
        return _fail(f"history {args.action} needs an argument")
    if args.action == "search":
        hits = search(history_dir, args.arg)
        if not hits:
            print(f"no PHR in {shown_path(Path(history_dir).resolve())} matches {args.arg!r}")
            return EXIT_RUN_FAILED
        print(repr(HistoryLog(hits)))
        return EXIT_OK
    matches = find_records(log.records, args.arg)
    if not matches:
        return _fail(
            f"no PHR with id {args.arg} (ids are <folder>/<number>, e.g. auth/0001; "
            "`workbench history list` shows them)",
            EXIT_RUN_FAILED,
        )
    for record in matches:
        print(f"# {record.path}")
        print(record.path.read_text(encoding="utf-8"))
    return EXIT_OK


REPLAY_HISTORY_NOTE = (
    "Replays of scripted sessions (the lessons offline, `workbench demo`) write into their "
    "workspace's own .workbench/history/, not here: `workbench history list --history "
    "WORKSPACE/.workbench/history` reads one that was kept."
)


if __name__ == "__main__":
    raise SystemExit(main())
