"""The Workbench: one object that ties a workspace, a mode, a history and the agent together.

Every front end goes through it (the CLI, the eval harness, and the notebook's subclass in
`notebook.workbench`, which adds the panel and the rich display), so they behave alike.
Layer 2: it may import `agent/` and everything below, never a front end. Building one has no
side effects: the warm pytest server and the stack warm-up start with the first run or test.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .agent.budget import Budget
from .agent.context import ContextWindow
from .agent.definition import AgentDefinition, load_agent
from .agent.events import Observer
from .agent.inbox import Inbox
from .agent.models import check_model
from .agent.result import RunResult
from .agent.session import Session, find_workspace
from .api.client import ClientHandle, make_client
from .history.index import HistoryLog
from .project import warmup
from .project.checkout import ProjectWorkspace, find_copy, open_project
from .project.containment import check_sandbox_mode
from .project.pytest_run import TestRun, run_pytest_args
from .project.pytest_server import prestart as prestart_pytest
from .project.workspace import META_DIR, TempRemoval, Workspace, mirror_file
from .settings import get_settings
from .specs.memory import ProjectMemory
from .tools.ask_user import answers_from, chain
from .tools.base import AnswerProvider
from .tools.permissions import Approver, accept_plan_prompt, approvals_from, check_mode

REPO_ROOT = Path(__file__).resolve().parents[1]


def default_history_dir() -> Path:
    return Path(os.environ.get("WORKBENCH_HISTORY") or REPO_ROOT / "history")


def cassette_for(name: str) -> Path:
    """The cassette a named session replays: `notebooks/cassettes/<name>.yaml`."""
    return REPO_ROOT / "notebooks" / "cassettes" / f"{name}.yaml"


def _server_question(approver: Approver) -> Callable[[Any], bool]:
    """A project's MCP server put to the person who approves edits, as a proposal of its own."""
    from .tools.permissions import EditProposal

    def ask(config: Any) -> bool:
        shown = f"Start MCP server {config.describe()} from the project's .mcp.json?"
        decision = approver(EditProposal("start MCP server", config.name, shown, {}))
        return bool(decision is not None and decision.approved)

    return ask


def _gateway() -> bool:
    return bool(get_settings().anthropic_base_url)


def warm_up(workspace: Workspace | None = None) -> None:
    """Start what makes the first test run and live check quick (idempotent, never raises)."""
    python = getattr(workspace, "python", None)
    prestart_pytest(python)  # the first test run finds pytest and the app stack imported
    if isinstance(workspace, ProjectWorkspace):  # and its first check, the app host
        from .project.hosted_app import prestart_host

        prestart_host(workspace.python)
    warmup.enable()  # and this process imports the stack while it waits for test runs


class Workbench:
    """A workspace, a mode, a history and the agent, ready to run prompts and check the app."""

    def __init__(
        self,
        name: str | None = None,
        *,
        workspace: str | Path | None = None,
        history: str | Path | None = None,
        mode: str = "auto",
        cassette: str | Path | None = None,
        answers: dict[str, str] | list[str] | None = None,
        agent: str | Path | AgentDefinition | None = None,
        model: str | None = None,
        budget: Budget | None = None,
        display: bool = True,
        project: str | Path | None = None,
        env: dict[str, str] | None = None,
        test_timeout: float = 120.0,
        command: str | None = None,
        mcp_servers: dict[str, Any] | str | Path | None = None,
        permission_mode: str = "accept-edits",
        approvals: list[str] | None = None,
        context_limit: int | None = None,
        sandbox: str | None = None,
        approve_mcp: list[str] | Callable[[Any], bool] | None = None,
        user_memory: bool = True,
        python: str | Path | None = None,
        app: str | None = None,
        keep: bool = False,
    ) -> None:
        self.name = name
        if model:  # an unknown model is refused before any folder is made
            check_model(model, gateway=_gateway())
        sandbox = check_sandbox_mode(sandbox)  # and an unknown sandbox mode
        if project:
            self.workspace = open_project(project, workspace, env, python=python, app=app)
        else:
            self.workspace = find_copy(workspace)
        # A temp workspace (none named) goes when the process exits, unless `keep` says not.
        self._removal: TempRemoval | None = None
        if self.workspace is None:
            if python or app:
                raise ValueError("python= and app= are for a project: Workbench(project=...)")
            self.workspace = Workspace.create(workspace)
            if workspace is None:
                self._removal = TempRemoval(self.workspace.root)
        elif not project:
            if env:
                self.workspace.use_env(env)
            if python or app:
                from .project.interpreter import find_interpreter

                chosen = find_interpreter(self.workspace.source, python) if python else None
                self.workspace.remember(interpreter=chosen, app=app)
        self.keep = keep
        # "off" runs the agent's processes uncontained, with a warning on every run.
        self.workspace.sandbox_mode = sandbox
        # The project's own .mcp.json servers approved now (names), or a question per server.
        self.approve_mcp = approve_mcp
        self._history = Path(history) if history else None
        self.mode = (mode or get_settings().mode or "auto").lower()
        if cassette is None and name:
            candidate = cassette_for(name)
            cassette = candidate if candidate.exists() else None
        self.cassette = Path(cassette) if cassette else None
        self.answers = answers
        self.agent = agent if isinstance(agent, AgentDefinition) else load_agent(agent)
        self.model = model
        self.budget = budget or Budget()
        self.display = display
        self.test_timeout = test_timeout  # seconds for each of the agent's `run_tests` calls
        self.command = command  # how the PHR names what started the runs
        # MCP servers for every run, beside the project's own .mcp.json: a map in its format
        # (`{name: {"command": ..., "args": [...]}}`) or the path of such a file.
        self.mcp_servers = mcp_servers
        self.last_result: RunResult | None = None
        self.stop_event = threading.Event()
        self._client: Any = None
        self._client_sandbox = contextlib.ExitStack()  # the hosted app's sandbox, while it runs
        self._run_lock = threading.Lock()
        self.permission_mode = check_mode(permission_mode)
        self.approver: Approver | None = approvals_from(approvals) if approvals else None
        self.context_limit = context_limit
        self.user_memory = user_memory  # read ~/.claude/CLAUDE.md into runs (as Claude Code does)
        self.inbox = Inbox()
        self._session_key: tuple[Any, ...] | None = None
        self._reset_session()
        self.handle: ClientHandle | None = None

    @property
    def keep(self) -> bool:
        """Whether the workspace stays after exit (a named workspace always does)."""
        return self._removal is None or self._removal.keep

    @keep.setter
    def keep(self, value: bool) -> None:
        if self._removal is not None:
            self._removal.keep = bool(value)

    @property
    def temporary(self) -> bool:
        """True when the workspace is a temp folder removed at exit."""
        return not self.keep

    @property
    def history_dir(self) -> Path:
        """Where this workbench's PHRs and ADRs go.

        The history passed in, or `WORKBENCH_HISTORY`, when given. Otherwise a replay of a
        scripted session writes into the workspace's own history (`.workbench/history/`), so
        trying a lesson offline leaves the repository's `history/` as it was; live and
        recorded runs write to the repository's `history/`.
        """
        if self._history is not None:
            return self._history
        if os.environ.get("WORKBENCH_HISTORY"):
            return default_history_dir()
        handle = self.handle
        if handle is None:
            from .api.cassette import CassetteError
            from .api.client import ModeError

            try:
                handle = self.connect()
            except (ModeError, CassetteError, ValueError):
                return default_history_dir()
        if handle.mode == "replay" and handle.source == "scripted":
            return self.workspace.root / META_DIR / "history"
        return default_history_dir()

    # -- running the agent ----------------------------------------------------------------

    def connect(self) -> ClientHandle:
        """The client for this workbench's mode (auto decides here, and says why).

        A model named here is checked first: an unknown id raises UnknownModelError, unless
        `ANTHROPIC_BASE_URL` points at a gateway, where it is used with a warning.
        """
        warning = ""
        if self.model:
            self.model, warning = check_model(self.model, gateway=_gateway())
        handle = make_client(self.mode, cassette=self.cassette, model=self.model)
        if warning:
            handle.notice = f"{handle.notice} {warning}".strip()
        self.handle = handle
        return handle

    @property
    def mode_label(self) -> str:
        """What a run would be now: live, or a replay of a scripted or recorded session."""
        from .api.cassette import CassetteError
        from .api.client import ModeError

        if self.handle is not None:
            return self.handle.label
        try:
            return self.connect().label
        except (ModeError, CassetteError) as exc:
            return str(exc)

    def answer_provider(self, extra: AnswerProvider | None = None) -> AnswerProvider:
        """Answers given up front first, then the person (`extra`), then the cassette's."""
        providers: list[AnswerProvider | None] = []
        if self.answers:
            providers.append(answers_from(self.answers))
        providers.append(extra)
        handle = self.handle
        if handle is not None and handle.cassette is not None and handle.cassette.answers:
            providers.append(answers_from(handle.cassette.answers))
        return chain(*providers)

    # -- sessions -------------------------------------------------------------------------

    def new_session(self) -> None:
        """Start afresh: the next run sees none of the earlier prompts."""
        if self.running:
            raise RuntimeError("a run is in progress; stop it or wait before a new session")
        self._reset_session()

    def _reset_session(self) -> None:
        self.session: Session | None = None
        self.feature: str | None = None  # the spec-driven feature this session works on
        # a replay starts the cassette again, from its first prompt
        self._session_client: ClientHandle | None = None
        self._context = ContextWindow(limit=self.context_limit or ContextWindow.limit)

    @classmethod
    def resume(cls, session_id: str, **options: Any) -> Workbench:
        """A workbench that continues a saved session (after the kernel or terminal closed).

        The workspace comes from the session's pointer unless `workspace=` says otherwise;
        a missing, truncated or foreign trajectory raises SessionError and changes nothing.
        """
        workspace = options.pop("workspace", None) or find_workspace(session_id)
        session = Session.load(session_id, Path(workspace))
        replayed = session.trajectory.info.get("cassette")
        if options.get("cassette") is None and replayed and Path(replayed).is_file():
            options["cassette"] = replayed  # a replayed session goes on from its own cassette
        wb = cls(workspace=workspace, **options)
        wb.session = session
        return wb

    def queue(self, message: str) -> None:
        """A message for the running agent, delivered at its next turn boundary."""
        self.inbox.put(message)

    def accept_plan(self, **options: Any) -> RunResult:
        """Carry out the plan the last (plan-mode) run proposed, in the same session."""
        plan = self.pending_plan()
        if plan is None:
            raise RuntimeError("no plan to accept: run a prompt with permission_mode='plan' first")
        mode = self.permission_mode if self.permission_mode != "plan" else "accept-edits"
        options.setdefault("permission_mode", mode)
        return self.run(accept_plan_prompt(plan), **options)

    def pending_plan(self) -> str | None:
        """The plan the session's last prompt proposed (in plan mode), if that is what it did."""
        last = self.last_result
        if last is not None:
            if last.permission_mode == "plan" and last.contract is not None:
                return last.contract.artifact_summary
            return None
        runs = self.session.runs if self.session is not None else []  # a resumed session
        return runs[-1].get("plan_summary") if runs else None

    def run(
        self,
        prompt: str,
        *,
        observers: list[Observer] | None = None,
        answer: AnswerProvider | None = None,
        command: str | None = None,
        permission_mode: str | None = None,
        approvals: list[str] | None = None,
        feature: str | None = None,
    ) -> RunResult:
        """Run the agent on `prompt`; renders progressively in a notebook or a terminal.

        Pass `observers` to show the run elsewhere (the panel does); the default display is
        then left out. One run at a time per workbench: a second one raises RuntimeError.
        A `/sp.<stage>` prompt runs that stage of spec-driven work (see `specify()`), on
        `feature` when given, else this session's, else the newest under `specs/`.
        """
        if not self._run_lock.acquire(blocking=False):
            raise RuntimeError("this workbench is already running a prompt; stop it or wait")
        try:
            return self._run(
                prompt,
                observers=observers,
                answer=answer,
                permission_mode=permission_mode,
                approvals=approvals,
                command=command,
                feature=feature,
            )
        finally:
            self._run_lock.release()

    @property
    def running(self) -> bool:
        return self._run_lock.locked()

    def start(
        self,
        prompt: str,
        *,
        observers: list[Observer] | None = None,
        answer: AnswerProvider | None = None,
        on_done: Callable[[RunResult | None, BaseException | None], None] | None = None,
        permission_mode: str | None = None,
        approver: Approver | None = None,
        feature: str | None = None,
    ) -> threading.Thread:
        """Run in a worker thread, so the kernel's event loop (and the widgets) stay free.

        `on_done(result, error)` is called in the worker when the run ends; the result is
        also `last_result`. Returns the started thread.
        """
        if not self._run_lock.acquire(blocking=False):
            raise RuntimeError("this workbench is already running a prompt; stop it or wait")

        def work() -> None:
            result: RunResult | None = None
            error: BaseException | None = None
            try:
                result = self._run(
                    prompt,
                    observers=list(observers or []),
                    answer=answer,
                    permission_mode=permission_mode,
                    approver=approver,
                    feature=feature,
                )
            except BaseException as exc:
                error = exc
            finally:
                self._run_lock.release()
            if on_done is not None:
                on_done(result, error)

        thread = threading.Thread(target=work, name="workbench-run", daemon=True)
        try:
            thread.start()
        except BaseException:
            self._run_lock.release()
            raise
        return thread

    def _run(
        self,
        prompt: str,
        *,
        observers: list[Observer] | None,
        answer: AnswerProvider | None,
        command: str | None = None,
        permission_mode: str | None = None,
        approvals: list[str] | None = None,
        approver: Approver | None = None,
        feature: str | None = None,
    ) -> RunResult:
        from .agent.runner import run_agent

        mode = check_mode(permission_mode or self.permission_mode)
        # A person approving edits (the panel, the chat) is asked about a project's MCP
        # servers the same way, unless the servers to start were named up front.
        approve_mcp = self.approve_mcp
        if approve_mcp is None and approver is not None:
            approve_mcp = _server_question(approver)
        if approvals:
            approver = approvals_from(approvals)
        approver = approver or self.approver
        self.stop_event.clear()
        warm_up(self.workspace)
        handle = self._session_handle()
        if self.session is None:
            info = {"project": self.name or ""}
            if isinstance(self.workspace, ProjectWorkspace):  # `sessions --project DIR` finds it
                info["project_dir"] = str(self.workspace.source)
            self.session = Session.start(self.workspace.root, info)
        shown = list(observers) if observers is not None else self.default_observers()
        result = run_agent(
            prompt,
            handle=handle,
            agent=self.agent,
            workspace=self.workspace,
            history_dir=self.history_dir,
            model=self.model,
            budget=self.budget,
            observers=shown,
            answer=self.answer_provider(answer),
            stop_event=self.stop_event,
            command=command or self.command or f"Workbench({self.name or ''}).run",
            test_timeout=self.test_timeout,
            mcp_servers=self.mcp_servers,
            approve_mcp=approve_mcp,
            session=self.session,
            permission_mode=mode,
            approver=approver,
            inbox=self.inbox,
            context=self._context,
            feature=feature,
            session_feature=self.feature,
            user_memory=self.user_memory,
        )
        if result.stage and result.stage.get("feature"):
            self.feature = str(result.stage["feature"])
        self.last_result = result
        return result

    # -- spec-driven work (Spec-Kit Plus's stages) ------------------------------------------

    @property
    def memory(self) -> ProjectMemory:
        """The project memory a run started now would get: CLAUDE.md (with its @imports),
        .claude/CLAUDE.md, CLAUDE.local.md, AGENTS.md, the constitution, the user's own."""
        from .specs.memory import load_memory

        return load_memory(self.workspace.root, user=self.user_memory)

    def stage(self, name: str, text: str = "", **options: Any) -> RunResult:
        """Run `/sp.<name> text` (what `specify()`, `plan()` ... call)."""
        return self.run(f"/sp.{name} {text}".rstrip(), **options)

    def constitution(self, text: str = "", **options: Any) -> RunResult:
        """/sp.constitution: lay down `.specify/memory/constitution.md` and have it filled."""
        return self.stage("constitution", text, **options)

    def specify(self, description: str, **options: Any) -> RunResult:
        """/sp.specify: a new `specs/NNN-short-name/spec.md` from the template, filled in."""
        return self.stage("specify", description, **options)

    def clarify(self, text: str = "", **options: Any) -> RunResult:
        """/sp.clarify: the open questions of the feature's spec, asked and recorded."""
        return self.stage("clarify", text, **options)

    def plan(self, text: str = "", **options: Any) -> RunResult:
        """/sp.plan: the feature's `plan.md`; its significant decisions become ADR suggestions."""
        return self.stage("plan", text, **options)

    def tasks(self, text: str = "", **options: Any) -> RunResult:
        """/sp.tasks: the feature's `tasks.md`, numbered T001.. with [P] markers and paths."""
        return self.stage("tasks", text, **options)

    def implement(self, text: str = "", **options: Any) -> RunResult:
        """/sp.implement: the tasks carried out, each new test proven red before green."""
        return self.stage("implement", text, **options)

    def default_observers(self) -> list[Observer]:
        """Who watches a run when the caller names nobody: nobody; a front end adds its view."""
        return []

    def _session_handle(self) -> ClientHandle:
        """The session's client: a replay goes on where the previous prompt stopped."""
        # A cassette holds one session: another cassette or mode starts a new session.
        key = (self.mode, self.cassette, self.model)
        if self._session_client is not None and key != self._session_key:
            self._reset_session()
        self._session_key = key
        # Kept apart from `handle`, which `connect()` (and so a mode label) may replace.
        if self.session is not None and self._session_client is not None:
            self.handle = self._session_client
            return self._session_client
        handle = self.connect()
        if self.session is not None and handle.replay is not None:
            handle.replay.start_at_prompt(len(self.session.runs))  # a resumed session
        self._session_client = handle
        return handle

    def stop(self) -> None:
        """Ask the running agent to stop at the next safe point."""
        self.stop_event.set()

    # -- the app it produced ----------------------------------------------------------------

    def client(
        self,
        *,
        timeout: float = 15.0,
        raise_server_exceptions: bool = True,
        in_kernel: bool = False,
    ) -> Any:
        """A TestClient on a fresh import of the workspace app (the latest files).

        A project's app runs in a fresh process of its own interpreter, forked from its app
        host, so nothing of one check (library registries, caches, the engine) survives into
        the next; the client has the TestClient's API. `in_kernel=True` imports it into
        this kernel instead (a project on the workbench's own interpreter only): quicker,
        and `app_module` then gives its live modules, but library-level state is shared
        between checks."""
        from .project.live_check import open_client

        self.close()
        if isinstance(self.workspace, ProjectWorkspace):
            self.workspace.forget_info()  # the agent may have moved the app
            if in_kernel:
                from .project.app_import import open_project_client

                if not self.workspace.interpreter.own:
                    raise RuntimeError(
                        f"wb.client(in_kernel=True) needs the project on the workbench's own "
                        f"interpreter; this one runs on {self.workspace.python} "
                        f"({self.workspace.interpreter.found_by}). Use wb.client()."
                    )
                self._client = open_project_client(
                    self.workspace.info,
                    self.workspace.environment(),
                    timeout=timeout,
                    raise_server_exceptions=raise_server_exceptions,
                )
                return self._client
            from .project.containment import contained
            from .project.hosted_app import open_hosted_client

            # The app runs in the workspace's sandbox, its endpoints forwarded while it lives.
            app_env = self.workspace.environment()
            launch = self._client_sandbox.enter_context(contained(self.workspace, app_env))
            spec = launch.fork_spec(cwd=str(self.workspace.root)) if launch else None
            self._client = open_hosted_client(
                self.workspace.info,
                launch.env if launch else app_env,
                python=self.workspace.python,
                timeout=timeout,
                raise_server_exceptions=raise_server_exceptions,
                log=self.workspace.root / META_DIR / "app.log",
                sandbox=spec,
            )
            return self._client
        self._client = open_client(
            self.workspace.root, timeout=timeout, raise_server_exceptions=raise_server_exceptions
        )
        return self._client

    def app_module(self, name: str) -> Any:
        """A module of the app behind the latest `client()`, e.g. `wb.app_module("api.deps")`.

        The app is imported under a fresh package name each time; this finds its modules
        (to override a dependency, or read a setting) without knowing that name.
        """
        if self._client is None:
            raise RuntimeError("no app loaded yet: call wb.client() first")
        if getattr(self._client, "hosted", None) is not None:
            raise RuntimeError(
                f"the app runs in its own process (a fresh child of its app host on "
                f"{self.workspace.python}), so its modules are not in this kernel: check it "
                "through the client's requests, or, for a project on the workbench's own "
                "interpreter, call wb.client(in_kernel=True) first to get its modules here "
                "(dependency_overrides, settings)"
            )
        import importlib

        if not self._client.app_package:  # a project: its modules keep their own names
            return importlib.import_module(name.strip("."))
        return importlib.import_module(f"{self._client.app_package}.{name.strip('.')}")

    def close(self) -> None:
        """Shut down the app behind the last `client()`; its modules are let go."""
        if self._client is not None:
            from .project.live_check import close_client

            if getattr(self._client, "hosted", None) is not None:
                close_client = type(self._client).close
            elif getattr(self._client, "project_root", None):
                from .project.app_import import close_project_client as close_client

            with contextlib.suppress(Exception):  # closing a broken app must not fail
                close_client(self._client)
            self._client = None
        self._client_sandbox.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        """The end of a `with Workbench(...)` block: the app closed, a temporary project copy
        removed (its worktree leaves the user's repository)."""
        self.close()
        finalizer = getattr(self.workspace, "finalizer", None)
        if finalizer is not None:
            finalizer()

    def diff(self) -> str:
        return self.workspace.diff()

    def pytest(
        self,
        *args: str,
        timeout: float = 300.0,
        env: dict[str, str] | None = None,
        writable: list[Path] | None = None,
        cwd: str | Path | None = None,
    ) -> TestRun:
        """Run pytest in the workspace yourself (any arguments), isolated as the agent's runs are.

        The output comes back whole; `.passed`, `.counts` and `.header()` summarise it. `env`
        adds variables to the run's environment; `writable` names folders beyond the
        workspace's own files that the sandboxed run may write (a report's folder); `cwd`
        (inside the workspace) is where pytest runs, when not where the project's
        configuration says. A project runs on its own interpreter.
        """
        warm_up(self.workspace)
        return run_pytest_args(
            self.workspace,
            args,
            timeout=timeout,
            cap=sys.maxsize,
            extra_env=env,
            writable=writable or (),
            cwd=cwd,
        )

    def apply(self, target: str | Path | None = None) -> list[str]:
        """Copy the workspace's changes into the repo's `sandbox_app/` and its tests; for a
        project, into the project (refused, with nothing written, when it changed since)."""
        if isinstance(self.workspace, ProjectWorkspace):
            applied = self.workspace.apply()
            print("\n".join(applied) or "nothing to apply")
            return applied
        target = Path(target) if target else REPO_ROOT
        applied: list[str] = []
        for rel in self.workspace.changed_files():
            source = self.workspace.root / rel
            dest_rel = rel
            if rel.startswith("tests/"):
                dest_rel = "tests/sandbox_app/" + rel.removeprefix("tests/")
            elif not rel.startswith("sandbox_app/"):
                continue
            done = mirror_file(source, target / dest_rel, self.workspace.root)
            if done:
                applied.append(f"{done} {dest_rel}")
        print("\n".join(applied) or "nothing to apply")
        return applied

    def branch(self, name: str, message: str | None = None) -> str:
        """Commit the project's change on a new branch `name` of its repository; the commit id.

        The user's working tree and current branch are left as they are."""
        if not isinstance(self.workspace, ProjectWorkspace):
            raise RuntimeError("wb.branch() is for a project: Workbench(project=...)")
        return self.workspace.branch(name, message)

    # -- history ----------------------------------------------------------------------------

    def history(self) -> HistoryLog:
        """The PHR log of this workbench's history, newest last."""
        return HistoryLog.scan(self.history_dir)

    def create_adr(self, title: str | None = None, *, context: str = "") -> Path:
        """Write an ADR for a significant decision of the last run (only when asked)."""
        from .history.adr import AdrDraft, draft_from_decision, write_adr

        contract = self.last_result.contract if self.last_result else None
        decisions = contract.significant_decisions() if contract else []
        chosen = next((d for d in decisions if title in (None, d.title)), None)
        if chosen is not None:
            feature = contract.phr.feature if contract else "none"
            draft = draft_from_decision(chosen, feature, context)
        elif title:
            draft = AdrDraft(
                title=title,
                context=context or "Recorded on request.",
                decision=title,
                consequences_positive=[],
                consequences_negative=[],
                alternatives=[],
                references=[],
            )
        else:
            raise ValueError("the last run suggested no ADR; pass a title to write one anyway")
        return write_adr(self.history_dir, draft)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, workspace={self.workspace.root}, "
            f"mode={self.mode!r})"
        )
