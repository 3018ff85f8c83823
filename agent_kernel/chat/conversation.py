"""One chat, one session: what the persona does with each message, with no Jupyter AI in it.

The persona hands every message here; a `ChatSink` is how this talks back (post, update,
status, the chat's metadata). Everything runs on the server's event loop except the agent's
run, which goes through `Workbench.start` in a worker thread: its events, questions and edit
reviews come back to the loop with `call_soon_threadsafe`, and a question or a review waits
in the worker (on a `threading.Event`) for the next human message. A message that arrives
while a run works answers the pending question or review, or else is queued for the next turn
boundary (`Workbench.queue`); the chat's stop control ends the run with what was done kept.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..agent.events import (
    Event,
    Notice,
    RunFinished,
    RunStarted,
    TextDelta,
    ToolCalled,
    ToolFinished,
    UsageReported,
)
from ..agent.session import SessionError, state_dir
from ..api.client import choose_mode
from ..history.redaction import redact
from ..settings import get_settings
from ..tools.permissions import PERMISSION_MODES, Approval, EditProposal, parse_approval
from ..workbench import Workbench, cassette_for
from . import render
from .place import Place, find_place

META_KEY = "fastapi_workbench"  # the chat's metadata entry: session id, workspace, mode
TOUR = "00_tour"
FLUSH_SECONDS = 0.25  # streamed text reaches the chat at most this often
COMMANDS = {
    "/plan": "plan mode: read and test only, then propose (text after it runs as a prompt)",
    "/ask": "ask mode: each edit waits for `approve` or `reject: reason`",
    "/accept-edits": "edits land as they are made (the default)",
    "/accept-plan": "carry out the plan the last plan-mode run proposed",
    "/new": "start a new session in this chat",
    "/diff": "the workspace's changes, per file",
    "/apply": "write the changes into the project (the baseline: into sandbox_app/)",
    "/branch": "/branch NAME: commit the changes on a new branch of your repository",
    "/check": "/check [METHOD] PATH: a live request against the app (none: list its routes)",
    "/adr": "/adr [TITLE]: write the ADR the last run suggested",
    "/tour": "replay the tour's scripted session (offline, labelled as scripted)",
    "/stop": "stop the running agent (the chat's stop button does the same)",
    "/help": "this list",
}
SP_PREFIX = "/sp."  # Spec-Kit Plus stages: passed to the run as the prompt itself


class ChatSink(Protocol):
    """How a conversation talks to its chat; called on the event loop only."""

    def post(self, body: str) -> str: ...

    def update(self, message_id: str, body: str) -> None: ...

    def set_status(self, text: str | None) -> None: ...

    def get_metadata(self) -> dict[str, Any]: ...

    def set_metadata(self, value: dict[str, Any]) -> None: ...


def no_key_text(settings: Any) -> str:
    """Why the chat cannot run the agent now, how to go live, and the scripted tour."""
    if settings.ci:
        why = "CI runs offline"
    elif settings.api_key:
        why = f"`WORKBENCH_MODE` is `{settings.mode}`, which never calls the model"
    else:
        why = "no `ANTHROPIC_API_KEY` is set"
    return (
        f"**No model to answer:** {why}, so this chat cannot run the agent on your message, "
        "and it will not make an answer up.\n\n"
        "To go live, set `ANTHROPIC_API_KEY` (in the environment or `.env`; "
        "`ANTHROPIC_BASE_URL` may point at any Anthropic-compatible gateway) and restart "
        "JupyterLab.\n\n"
        "Meanwhile, `/tour` replays the tour's **scripted session** here: authored turns "
        "replayed offline, labelled as scripted, not a model's answer."
    )


def help_text() -> str:
    rows = [f"- `{name}`: {what}" for name, what in COMMANDS.items()]
    rows.append(
        f"- `{SP_PREFIX}*` (e.g. `/sp.specify ...`): the spec-driven stages, run as a prompt"
    )
    return "**Commands**\n\n" + "\n".join(rows) + "\n\nAnything else is a prompt for the agent."


@dataclass
class Waiter:
    """A question or an edit review waiting in the worker thread for the next human message."""

    kind: str  # "question" or "review"
    event: threading.Event = field(default_factory=threading.Event)
    answer: str | None = None

    def release(self, answer: str | None) -> None:
        self.answer = answer
        self.event.set()


class RunView:
    """A run's events as chat messages: streamed text and folded tool calls in one message,
    broken off whenever something else (a question, a review, a queued note) is posted."""

    def __init__(self, sink: ChatSink, loop: asyncio.AbstractEventLoop) -> None:
        self.sink, self.loop = sink, loop
        self.parts: list[dict[str, Any]] = []
        self.message_id: str | None = None
        self._flush_handle: asyncio.TimerHandle | None = None

    def __call__(self, event: Event) -> None:  # the worker's side
        self.loop.call_soon_threadsafe(self.on_event, event)

    def on_event(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            if not self.parts or self.parts[-1]["kind"] != "text":
                self.parts.append({"kind": "text", "text": ""})
            self.parts[-1]["text"] += event.text
            if self._flush_handle is None:
                self._flush_handle = self.loop.call_later(FLUSH_SECONDS, self.flush)
            return
        if isinstance(event, RunStarted):
            label = event.label.upper() if event.source == "scripted" else event.label
            head = f"*{label} · model `{event.model}`*"
            if event.source == "scripted":
                head = f"**{label}**: authored turns replayed offline, not a model's answer"
            self.parts.append({"kind": "note", "text": head})
        elif isinstance(event, ToolCalled):
            self.parts.append(
                {"kind": "tool", "id": event.tool_use_id, "name": event.name, "input": event.input}
            )
        elif isinstance(event, ToolFinished):
            for part in reversed(self.parts):
                if part["kind"] == "tool" and part["id"] == event.tool_use_id:
                    part["output"], part["is_error"] = event.output, event.is_error
                    break
        elif isinstance(event, Notice):
            self.parts.append({"kind": "note", "text": f"> **Note:** {event.message}"})
        elif isinstance(event, UsageReported):
            self.sink.set_status(f"is working (turn {event.turn}, ${event.total_cost_usd:.4f})")
            return
        elif isinstance(event, RunFinished):
            pass
        self.flush()

    def render(self) -> str:
        out: list[str] = []
        for part in self.parts:
            if part["kind"] == "tool":
                output = part.get("output")
                out.append(
                    render.tool_line(
                        part["name"], part["input"], output, part.get("is_error", False)
                    )
                )
            else:
                out.append(part["text"].strip())
        return "\n\n".join(text for text in out if text)

    def flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        body = redact(self.render())
        if not body:
            return
        if self.message_id is None:
            self.message_id = self.sink.post(body)
        else:
            self.sink.update(self.message_id, body)

    def interject(self, body: str) -> None:
        """Post `body` as its own message; the run's next output starts a new one."""
        self.flush()
        self.parts, self.message_id = [], None
        self.sink.post(redact(body))


class Conversation:
    """The session behind one chat, and what each message does to it."""

    def __init__(
        self,
        sink: ChatSink,
        *,
        chat_dir: Path | str,
        chat_id: str,
        loop: asyncio.AbstractEventLoop,
        mention: str = "",
        answer_timeout: float = 900.0,
        workbench_options: dict[str, Any] | None = None,
    ) -> None:
        self.sink, self.loop = sink, loop
        self.chat_dir = Path(chat_dir)
        self.chat_id = chat_id
        self.mention = mention
        self.answer_timeout = answer_timeout
        self.options = dict(workbench_options or {})
        self.wb: Workbench | None = None
        self.place: Place | None = None
        self.view: RunView | None = None
        self.active: Workbench | None = None  # the workbench whose run is in flight
        self.waiter: Waiter | None = None

    # -- messages -------------------------------------------------------------------------

    def clean(self, text: str) -> str:
        """The message without this persona's @mention."""
        if self.mention:
            text = text.replace(f"@{self.mention}", " ")
        return text.strip()

    def deliver(self, text: str) -> bool:
        """A message that arrived while a run works; False when no run is in flight."""
        if self.active is None:
            return False
        text = self.clean(text)
        waiter, view = self.waiter, self.view
        if text.split(maxsplit=1)[:1] == ["/stop"]:
            self.stop()
            return True
        if waiter is not None and view is not None:
            if waiter.kind == "review":
                try:
                    parse_approval(text)
                except ValueError as exc:
                    view.interject(f"{exc}: reply `approve`, or `reject: your reason`.")
                    return True
            self.waiter = None
            waiter.release(None if text == "/skip" else text)
            self.sink.set_status("is working")
            return True
        if view is not None and text:
            self.active.queue(text)
            view.interject(f"Queued: *{text}*; the agent reads it at the next turn boundary.")
        return True

    async def handle(self, text: str) -> None:
        """A message while no run works: a command or a prompt. Never raises."""
        text = self.clean(text)
        try:
            await self._handle(text)
        except Exception as exc:  # the server lives: every fault is a chat message
            self.sink.post(redact(f"**Error:** {type(exc).__name__}: {exc}"))

    async def _handle(self, text: str) -> None:
        if not text:
            self.sink.post(help_text())
            return
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        if not word.startswith("/") or word.startswith(SP_PREFIX):
            await self.prompt(text)
            return
        if word in ("/plan", "/ask", "/accept-edits"):
            wb = await self.workbench()
            wb.permission_mode = word.removeprefix("/")
            self.save(wb)
            self.sink.post(f"Permission mode: **{wb.permission_mode}** ({COMMANDS[word]}).")
            if rest:
                await self.prompt(rest)
            return
        handler: Callable[[str], Any] | None = {
            "/help": self._help,
            "/new": self._new,
            "/diff": self._diff,
            "/apply": self._apply,
            "/branch": self._branch,
            "/check": self._check,
            "/adr": self._adr,
            "/tour": self._tour,
            "/accept-plan": self._accept_plan,
            "/stop": self._stop_idle,
        }.get(word)
        if handler is None:
            self.sink.post(f"Unknown command `{word}`.\n\n{help_text()}")
            return
        await handler(rest)

    # -- running --------------------------------------------------------------------------

    def can_run(self) -> bool:
        mode, _ = choose_mode(self.options.get("mode"), get_settings())
        if mode == "replay":
            self.sink.post(no_key_text(get_settings()))
            return False
        return True

    async def prompt(self, text: str) -> None:
        if not self.can_run():
            return
        wb = await self.workbench()
        await self.run(wb, text)

    async def run(self, wb: Workbench, prompt: str, *, accept_plan: bool = False) -> Any:
        """Run `prompt` on `wb` in its worker thread and post everything it shows."""
        view = self.view = RunView(self.sink, self.loop)
        done: asyncio.Future = self.loop.create_future()

        def finished(result: Any, error: BaseException | None) -> None:
            self.loop.call_soon_threadsafe(_settle, done, (result, error))

        self.active = wb
        self.sink.set_status("is working")
        try:
            if accept_plan:
                last = wb.last_result
                if last is None or last.permission_mode != "plan" or last.contract is None:
                    raise RuntimeError("no plan to accept: run a prompt after /plan first")
                from ..tools.permissions import accept_plan_prompt

                prompt = accept_plan_prompt(last.contract.artifact_summary)
                if wb.permission_mode == "plan":
                    wb.permission_mode = "accept-edits"
            wb.start(
                prompt,
                observers=[view],
                answer=self.ask,
                approver=self.approve,
                on_done=finished,
            )
            result, error = await done
        finally:
            self.active, self.waiter = None, None
            self.sink.set_status(None)
        view.flush()
        if error is not None:
            self.sink.post(redact(f"**The run failed:** {type(error).__name__}: {error}"))
            return None
        self.save(wb)
        self.sink.post(redact(render.result_md(result, wb.history_dir)))
        return result

    def stop(self) -> None:
        """End the running agent at its next safe point; a pending question is let go."""
        wb, waiter = self.active, self.waiter
        if wb is None:
            return
        wb.stop()
        self.waiter = None
        if waiter is not None:
            waiter.release(None)
        if self.view is not None:
            self.view.interject("Stopping at the next safe point; what was done is kept.")

    # -- the worker's side: questions and reviews wait for the next human message ----------

    def _wait(self, kind: str, body: str) -> str | None:
        waiter = Waiter(kind)

        def open_() -> None:
            if self.active is None or self.active.stop_event.is_set():
                waiter.release(None)
                return
            self.waiter = waiter
            if self.view is not None:
                self.view.interject(body)
            self.sink.set_status("waits for your answer")

        def forget() -> None:  # nobody answered in time: the next message is not an answer
            if self.waiter is waiter:
                self.waiter = None
                if self.view is not None:
                    self.view.interject("No answer in time; the agent goes on without one.")

        self.loop.call_soon_threadsafe(open_)
        answered = waiter.event.wait(self.answer_timeout)
        if not answered:
            self.loop.call_soon_threadsafe(forget)
        return waiter.answer if answered else None

    def ask(self, question: str, choices: list[str] | None) -> str | None:
        return self._wait("question", render.question_md(question, choices))

    def approve(self, proposal: EditProposal) -> Approval | None:
        text = self._wait(
            "review", render.proposal_md(proposal.command, proposal.path, proposal.diff)
        )
        return None if text is None else parse_approval(text)

    # -- the session ----------------------------------------------------------------------

    def _workspace_dir(self) -> Path:
        folder = state_dir() / "chats" / self.chat_id
        folder.parent.mkdir(parents=True, exist_ok=True)
        return folder

    async def workbench(self) -> Workbench:
        if self.wb is None:
            self.wb = await asyncio.to_thread(self._open_workbench)
        return self.wb

    def _options(self) -> dict[str, Any]:
        options = {"display": False, "command": "JupyterLab chat"}
        options.update(self.options)
        return options

    def _open_workbench(self) -> Workbench:
        saved = self.sink.get_metadata().get(META_KEY) or {}
        session_id, workspace = saved.get("session"), saved.get("workspace")
        mode = saved.get("permission_mode")
        mode = mode if mode in PERMISSION_MODES else "accept-edits"
        if session_id and workspace:
            try:
                wb = Workbench.resume(
                    session_id, workspace=workspace, permission_mode=mode, **self._options()
                )
            except (SessionError, OSError, ValueError) as exc:
                self._post_soon(
                    f"Could not resume session `{session_id}`: {exc}. A new one starts."
                )
            else:
                prompts = len(wb.session.runs) if wb.session else 0
                self._post_soon(
                    f"Resumed session `{session_id}` ({prompts} prompt(s) so far) in "
                    f"`{wb.workspace.root}`."
                )
                return wb
        self.place = find_place(self.chat_dir)
        folder = self._workspace_dir()
        if self.place.project is not None:
            wb = Workbench(
                project=self.place.project,
                workspace=folder,
                permission_mode=mode,
                **self._options(),
            )
        else:
            wb = Workbench(workspace=folder, permission_mode=mode, **self._options())
        self._post_soon(f"This chat works on {self.place.description}: `{wb.workspace.root}`.")
        return wb

    def _post_soon(self, body: str) -> None:
        self.loop.call_soon_threadsafe(self.sink.post, redact(body))

    def save(self, wb: Workbench) -> None:
        """Keep the session in the chat's metadata, so it resumes after a restart."""
        if wb is not self.wb:
            return
        saved: dict[str, Any] = {
            "workspace": str(wb.workspace.root),
            "permission_mode": wb.permission_mode,
        }
        if wb.session is not None:
            saved["session"] = wb.session.id
        self.sink.set_metadata(saved)

    # -- commands -------------------------------------------------------------------------

    async def _help(self, _rest: str) -> None:
        self.sink.post(help_text())

    async def _stop_idle(self, _rest: str) -> None:
        self.sink.post("Nothing is running.")

    async def _new(self, _rest: str) -> None:
        wb = await self.workbench()
        wb.new_session()
        self.save(wb)
        self.sink.post("New session: the next prompt starts afresh (the workspace is kept).")

    async def _diff(self, _rest: str) -> None:
        wb = await self.workbench()
        diff = await asyncio.to_thread(wb.diff)
        self.sink.post(redact(render.diff_md(diff)))

    async def _apply(self, _rest: str) -> None:
        wb = await self.workbench()
        applied = await asyncio.to_thread(wb.apply)
        lines = "\n".join(f"- {line}" for line in applied) or "nothing to apply"
        self.sink.post(f"**Applied:**\n\n{lines}")

    async def _branch(self, rest: str) -> None:
        if not rest:
            self.sink.post("`/branch NAME`: give the new branch a name.")
            return
        wb = await self.workbench()
        commit = await asyncio.to_thread(wb.branch, rest.split()[0])
        self.sink.post(f"Committed on branch `{rest.split()[0]}`: `{commit[:12]}`.")

    async def _check(self, rest: str) -> None:
        wb = await self.workbench()
        words = rest.split()
        method, path = ("GET", None)
        if len(words) == 1:
            path = words[0]
        elif len(words) >= 2:
            method, path = words[0].upper(), words[1]
        self.sink.post(await asyncio.to_thread(_live_request, wb, method, path))

    async def _adr(self, rest: str) -> None:
        wb = await self.workbench()
        path = await asyncio.to_thread(wb.create_adr, rest or None)
        self.sink.post(f"ADR written: `{path}`.")

    async def _accept_plan(self, _rest: str) -> None:
        if not self.can_run():
            return
        wb = await self.workbench()
        await self.run(wb, "", accept_plan=True)

    async def _tour(self, _rest: str) -> None:
        from ..api.cassette import load_cassette

        cassette = cassette_for(TOUR)
        prompt = load_cassette(cassette).prompt or ""
        options = self._options()
        options.pop("mode", None)
        tour = await asyncio.to_thread(
            lambda: Workbench(TOUR, mode="replay", cassette=cassette, **options)
        )
        self.sink.post(f"**Replaying the tour's scripted session.** Its prompt:\n\n> {prompt}")
        await self.run(tour, prompt)


def _live_request(wb: Workbench, method: str, path: str | None) -> str:
    """A request against a fresh import of the app, as one chat message (never raises)."""
    try:
        client = wb.client()
    except Exception as exc:
        return redact(f"**The app did not load:** {type(exc).__name__}: {exc}")
    try:
        if path is None:
            spec = client.get("/openapi.json").json()
            routes = [
                f"- `{verb.upper()} {route}`"
                for route, verbs in sorted(spec.get("paths", {}).items())
                for verb in verbs
            ]
            return "**The app loads.** Its routes:\n\n" + ("\n".join(routes) or "(none)")
        reply = client.request(method, path if path.startswith("/") else f"/{path}")
        body = reply.text if len(reply.text) <= 3000 else reply.text[:3000] + "\n… (cut)"
        return redact(f"**{method} {path}** → `{reply.status_code}`\n\n{render.fence(body)}")
    except Exception as exc:
        return redact(f"**The request failed:** {type(exc).__name__}: {exc}")
    finally:
        wb.close()


def _settle(future: asyncio.Future, value: Any) -> None:
    if not future.done():
        future.set_result(value)
