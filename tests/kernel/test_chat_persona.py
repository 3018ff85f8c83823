"""The agent in JupyterLab's chat, driven the way Jupyter AI drives it.

Each test builds a real `YChat` (jupyterlab-chat), routes human messages through Jupyter
AI's own `MessageRouter` and `PersonaManager` (which finds the persona through the
`jupyter_ai.personas` entry point), and lets the run go live against the loopback Messages
API. Human messages are written into the chat document as the browser writes them, with the
persona picker's `to_persona` in their metadata.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from jupyter_ai_persona_manager import PersonaManager
from jupyter_ai_router.router import MessageRouter
from jupyterlab_chat.models import User
from jupyterlab_chat.ychat import YChat
from pycrdt import Map

import agent_kernel.workbench as facade
from agent_kernel.chat.conversation import META_KEY
from agent_kernel.chat.persona import FastAPIBackendPersona
from agent_kernel.chat.place import find_place

PERSONA_ID = "jupyter-ai-personas::agent_kernel::FastAPIBackendPersona"
HUMAN = "human-1"
REPO = Path(__file__).resolve().parents[2]
CHAT_PATH = "notebooks/agent.chat"  # in the workbench's notebooks/: the baseline


class Chat:
    """A chat document with Jupyter AI's router and persona manager on it."""

    def __init__(
        self, content: str | None = None, *, root: Path = REPO, path: str = CHAT_PATH
    ) -> None:
        self.ychat = YChat()
        self.ychat.initial_path = path
        if content is not None:
            self.ychat.set(content)
        self.ychat.dirty = False
        self.ychat.set_user(User(username=HUMAN, name="Ada", display_name="Ada"))
        loop = asyncio.get_running_loop()
        self.manager = PersonaManager(chat=self.ychat, root_dir=str(root), event_loop=loop)
        self.router = MessageRouter()
        self.router.connect_chat(self.ychat.get_id(), self.ychat)
        self.router.observe_chat_msg(self.ychat.get_id(), self.manager.on_chat_message)
        self.persona = self.manager.personas[PERSONA_ID]

    def say(self, text: str) -> None:
        """A message from the browser: appended to the document, addressed by the picker."""
        message = {
            "type": "msg",
            "id": str(uuid.uuid4()),
            "body": f"@{self.persona.as_user().mention_name} {text}",
            "time": time.time(),
            "sender": HUMAN,
            "raw_time": False,
            "mentions": [PERSONA_ID],
            "metadata": {"to_persona": PERSONA_ID},
        }
        with self.ychat.ydoc.transaction():
            self.ychat.ymessages.append(Map(message))

    def replies(self) -> list[str]:
        return [m.body for m in self.ychat.get_messages() if m.sender == PERSONA_ID]

    def text(self) -> str:
        return "\n".join(self.replies())

    async def wait_for(self, needle: str, timeout: float = 60, *, count: int = 1) -> str:
        """The `count`-th reply holding `needle`, once it is there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [body for body in self.replies() if needle in body]
            if len(found) >= count:
                return found[count - 1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no reply #{count} with {needle!r} in time:\n{self.text()}")

    async def idle(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        await asyncio.sleep(0.05)
        while self.persona.processing or self.persona.conversation.active is not None:
            assert time.monotonic() < deadline, f"the persona is still busy:\n{self.text()}"
            await asyncio.sleep(0.05)


def run(scenario) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 120))


@pytest.fixture(autouse=True)
def quiet(monkeypatch, tmp_path):
    """No warm pytest server or stack warm-up (the runs' checks are faked), PHRs in tmp."""
    monkeypatch.setattr(facade, "prestart_pytest", lambda *_: None)
    monkeypatch.setattr(facade.warmup, "enable", lambda: None)
    monkeypatch.setenv("WORKBENCH_HISTORY", str(tmp_path / "history"))


@pytest.fixture
def live(live_env, messages_server, fake_checks, kit):
    key = kit.canary()
    live_env(key)
    return key


class Gate:
    """Holds the loopback server's answer to request number `at` until opened."""

    def __init__(self, server, at: int) -> None:
        self.opened, self.waiting = threading.Event(), threading.Event()
        base = server.httpd.RequestHandlerClass
        gate = self

        class Gated(base):
            def do_POST(self) -> None:
                if len(server.received) == at - 1:
                    gate.waiting.set()
                    gate.opened.wait(30)
                super().do_POST()

        server.httpd.RequestHandlerClass = Gated

    async def reached(self) -> None:
        assert await asyncio.to_thread(self.waiting.wait, 30), "the run never sent that request"


def said(message: dict[str, Any]) -> str:
    """The text of one API message: its text blocks and tool results, as sent."""
    content = message["content"]
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        inner = block.get("text", block.get("content", ""))
        parts.append(inner if isinstance(inner, str) else json.dumps(inner))
    return "\n".join(parts)


def last_user_text(request) -> str:
    return said(request.body["messages"][-1])


def test_the_persona_is_found_through_the_entry_point_and_named_after_the_agent_file():
    async def scenario() -> None:
        chat = Chat()
        persona = chat.persona
        assert isinstance(persona, FastAPIBackendPersona)
        assert persona.name == "fastapi-backend-agent"
        assert persona.defaults.description.startswith("FastAPI backend engineer")
        assert Path(persona.defaults.avatar_path).read_text().startswith("<svg")
        user = chat.ychat.get_users()[PERSONA_ID]
        assert user.bot and user.avatar_url.endswith(PERSONA_ID.replace(":", "%3A"))
        assert "/plan" in [c.name for c in persona.get_slash_commands()]

    run(scenario)


def test_a_request_streams_its_work_and_ends_with_everything_the_panel_shows(
    live, messages_server, kit
):
    async def scenario() -> None:
        chat = Chat()
        messages_server.script(kit.ping_turns())
        chat.say(kit.PROMPT)
        final = await chat.wait_for("### Execution Contract")
        await chat.idle()
        text = chat.text()
        assert "This chat works on the workbench's baseline app" in text
        assert "I'll read the router first." in text  # the model's streamed text
        assert "<details><summary>✓ str_replace_based_edit_tool: create " in text  # a tool fold
        assert "sandbox_app/api/routes/ping.py" in text
        assert "✔ **ok**" in final
        assert "GET /api/ping answers 200 with a pong body." in final
        assert "**Acceptance checks: 1/1 passed**" in final
        for path in kit.PING_FILES:  # the diff: one fenced block per file
            assert f"`{path}`\n\n```diff\n" in final
        assert '+    return {"ping": "pong"}' in final
        assert "**Usage:**" in final and "in /" in final and "$" in final
        assert "**Prompt History Record:** `history/prompts/ping/0001-" in final
        saved = chat.ychat.get_metadata()[META_KEY]
        assert saved["session"] and Path(saved["workspace"]).is_dir()
        assert live not in chat.ychat.get()  # the key never lands in the chat file
        assert len(messages_server.received) == 3

    run(scenario)


def test_a_follow_up_continues_the_session_and_it_resumes_after_a_restart(
    live, messages_server, kit
):
    async def scenario() -> None:
        chat = Chat()
        messages_server.script(kit.ping_turns())
        chat.say(kit.PROMPT)
        await chat.wait_for("### Execution Contract")
        await chat.idle()
        session = chat.ychat.get_metadata()[META_KEY]["session"]

        messages_server.script([kit.submit(artifact_summary="Nothing more to change.")])
        chat.say("Is the health route still there?")
        await chat.wait_for("Nothing more to change.")
        await chat.idle()
        follow_up = messages_server.received[3].body["messages"]
        assert kit.PROMPT in said(follow_up[0])  # the earlier turns went along
        assert "Is the health route still there?" in said(follow_up[-1])
        assert chat.ychat.get_metadata()[META_KEY]["session"] == session

        # the server restarts: a new document from the saved file, new personas
        saved = chat.ychat.get()
        await chat.manager.shutdown_personas()
        again = Chat(content=saved)
        messages_server.script([kit.submit(artifact_summary="Still nothing to change.")])
        again.say("And now?")
        await again.wait_for("Still nothing to change.")
        await again.idle()
        assert f"Resumed session `{session}` (2 prompt(s) so far)" in again.text()
        resumed = messages_server.received[4].body["messages"]
        assert any("Is the health route still there?" in said(m) for m in resumed)
        assert again.ychat.get_metadata()[META_KEY]["session"] == session

    run(scenario)


def test_ask_user_is_answered_by_the_next_human_message(live, messages_server, kit):
    question = {"question": "Which database should it use?", "choices": ["SQLite", "PostgreSQL"]}
    turns = [{"tool_calls": [{"name": "ask_user", "input": question}]}, kit.submit()]

    async def scenario() -> None:
        chat = Chat()
        messages_server.script(turns)
        chat.say(kit.PROMPT)
        asked = await chat.wait_for("**The agent asks:** Which database should it use?")
        assert "- PostgreSQL" in asked
        chat.say("PostgreSQL, please")
        await chat.wait_for("### Execution Contract")
        await chat.idle()
        assert "PostgreSQL, please" in last_user_text(messages_server.received[1])

    run(scenario)


def test_ask_mode_posts_each_edit_and_takes_approve_or_reject(live, messages_server, kit, tmp_path):
    edits = [
        kit.edit("create", "sandbox_app/api/routes/pong.py", file_text="x = 1\n"),
        kit.edit("create", "tests/test_ping.py", file_text="def test_ping():\n    pass\n"),
    ]
    turns = [{"tool_calls": edits}, kit.submit()]

    async def scenario() -> None:
        chat = Chat()
        chat.say("/ask")
        await chat.wait_for("Permission mode: **ask**")
        await chat.idle()
        messages_server.script(turns)
        chat.say(kit.PROMPT)
        review = await chat.wait_for(
            "**Review this edit:** create `sandbox_app/api/routes/pong.py`"
        )
        assert "+x = 1" in review
        chat.say("maybe")  # neither: asked again, nothing decided
        await chat.wait_for("not an approval")
        chat.say("reject: call it ping.py")
        await chat.wait_for("**Review this edit:** create `tests/test_ping.py`")
        chat.say("approve")
        await chat.wait_for("### Execution Contract")
        await chat.idle()
        workspace = Path(chat.ychat.get_metadata()[META_KEY]["workspace"])
        assert not (workspace / "sandbox_app/api/routes/pong.py").exists()
        assert (workspace / "tests/test_ping.py").is_file()
        results = last_user_text(messages_server.received[1])
        assert "The user rejected this create" in results and "call it ping.py" in results
        assert chat.ychat.get_metadata()[META_KEY]["permission_mode"] == "ask"

    run(scenario)


def test_a_message_sent_while_the_run_works_is_delivered_at_the_next_turn(
    live, messages_server, kit
):
    async def scenario() -> None:
        chat = Chat()
        gate = Gate(messages_server, at=2)
        messages_server.script(kit.ping_turns())
        chat.say(kit.PROMPT)
        await gate.reached()
        chat.say("use 404 for a missing item")
        await chat.wait_for("Queued: *use 404 for a missing item*")
        gate.opened.set()
        await chat.wait_for("### Execution Contract")
        await chat.idle()
        assert "use 404 for a missing item" in last_user_text(messages_server.received[2])
        assert "use 404" not in last_user_text(messages_server.received[1])

    run(scenario)


def test_the_stop_control_ends_the_run_with_its_work_kept(live, messages_server, kit):
    async def scenario() -> None:
        chat = Chat()
        gate = Gate(messages_server, at=2)
        messages_server.script(kit.ping_turns())
        chat.say(kit.PROMPT)
        await gate.reached()
        # what the chat's stop button does (persona-manager's CancelHandler)
        assert chat.persona.processing
        await chat.persona.cancel_response()
        gate.opened.set()
        final = await chat.wait_for("✘ **incomplete**")
        await chat.idle()
        assert "Stopping at the next safe point" in chat.text()
        assert "**Prompt History Record:** `history/prompts/" in final
        assert len(messages_server.received) == 2  # nothing was asked after the stop
        assert not chat.persona.processing

    run(scenario)


def test_without_a_key_it_says_so_and_offers_the_scripted_tour(messages_server, fake_checks):
    async def scenario() -> None:
        chat = Chat()
        chat.say("Add a GET /api/ping route")
        reply = await chat.wait_for("**No model to answer:**")
        await chat.idle()
        assert "no `ANTHROPIC_API_KEY` is set" in reply and "`/tour`" in reply
        assert "Execution Contract" not in chat.text()  # never a made-up answer
        assert messages_server.received == []

        chat.say("/tour")
        final = await chat.wait_for("### Execution Contract", timeout=90)
        await chat.idle()
        text = chat.text()
        assert "**REPLAY OF A SCRIPTED SESSION 00_TOUR.YAML" in text
        assert "not a model's answer" in text
        assert "`sandbox_app/api/routes/version.py`\n\n```diff" in final
        assert "(estimates: a scripted session calls no model)" in final

    run(scenario)


def test_an_api_fault_and_an_unloadable_app_are_chat_messages(
    live, messages_server, kit, monkeypatch
):
    monkeypatch.setenv("WORKBENCH_MAX_RETRIES", "0")
    broken = "from fastapi import FastAPI\nraise RuntimeError('settings are missing')\n"

    async def scenario() -> None:
        from agent_kernel.settings import reload_settings

        reload_settings()
        chat = Chat()
        messages_server.script([{"error": {"status": 500, "type": "api_error", "message": "boom"}}])
        chat.say(kit.PROMPT)
        final = await chat.wait_for("✘ **error**")
        await chat.idle()
        assert "API error 500 (api_error)" in final

        chat.say("/check GET /api/health")
        ok = await chat.wait_for("**GET /api/health** → `200`")
        assert '"status"' in ok
        workspace = Path(chat.ychat.get_metadata()[META_KEY]["workspace"])
        (workspace / "sandbox_app/main.py").write_text(broken, encoding="utf-8")
        chat.say("/check")
        failed = await chat.wait_for("**The app did not load:**")
        await chat.idle()
        assert "settings are missing" in failed
        chat.say("/help")  # and the chat still answers
        await chat.wait_for("**Commands**")

    run(scenario)


def test_a_chat_works_on_the_project_it_sits_in_and_applies_only_when_asked(
    live, messages_server, kit, tmp_path
):
    project = tmp_path / "root" / "notes"
    shutil.copytree(REPO / "tests/fixtures/notes_service", project)
    (project / "team.chat").write_text("{}", encoding="utf-8")  # the chat is not code
    added = "def archived() -> bool:\n    return False\n"
    turns = [
        {"tool_calls": [kit.edit("create", "app/archive.py", file_text=added)]},
        kit.submit(acceptance_checks=[{"description": "notes list", "test": "tests/api"}]),
    ]

    async def scenario() -> None:
        chat = Chat(root=tmp_path / "root", path="notes/team.chat")
        messages_server.script(turns)
        chat.say("Add an archive helper")
        await chat.wait_for("### Execution Contract")
        await chat.idle()
        assert f"This chat works on the project `{project}` (app `app.main:app`)" in chat.text()
        assert not (project / "app/archive.py").exists()  # nothing written back yet
        chat.say("/diff")
        diff = await chat.wait_for("**Diff**", count=2)  # after the run's own
        assert "`app/archive.py`" in diff and "+def archived() -> bool:" in diff
        await chat.idle()
        chat.say("/apply")
        await chat.wait_for("**Applied:**")
        await chat.idle()
        assert (project / "app/archive.py").read_text(encoding="utf-8") == added
        chat.say("/branch notes-archive")
        refused = await chat.wait_for("is not a git repository")
        assert "**Error:** ProjectError" in refused

    run(scenario)


def test_which_project_a_chat_works_on(tmp_path):
    assert find_place(REPO / "notebooks").project is None  # the workbench's own: the baseline
    assert "baseline" in find_place(REPO / "notebooks").description
    notes = REPO / "tests/fixtures/notes_service"
    assert find_place(notes / "app" / "api").project == notes.resolve()
    lone = tmp_path / "elsewhere"
    lone.mkdir()
    (lone / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    place = find_place(lone)
    assert place.project is None
    assert "no FastAPI project contains this chat" in place.description
    assert "no FastAPI app found" in place.description


SIGNIFICANT = {
    "title": "Use JWT bearer tokens",
    "choice": "Stateless JWT access tokens signed with HS256.",
    "alternatives": ["Server-side sessions", "Opaque tokens in the database"],
    "rationale": "No session store; every service can verify tokens.",
    "long_term_impact": True,
    "cross_cutting": True,
}


def test_an_adr_is_suggested_and_written_only_when_asked(live, messages_server, kit, tmp_path):
    async def scenario() -> None:
        chat = Chat()
        messages_server.script([kit.submit(decisions=[SIGNIFICANT])])
        chat.say(kit.PROMPT)
        final = await chat.wait_for("### Execution Contract")
        await chat.idle()
        assert "**ADR suggested** (nothing is written until you ask)" in final
        assert "Use JWT bearer tokens" in final and "Reply `/adr`" in final
        adr_dir = tmp_path / "history" / "adr"
        assert not adr_dir.exists() or not list(adr_dir.glob("*.md"))
        chat.say("/adr")
        written = await chat.wait_for("ADR written:")
        await chat.idle()
        [adr] = adr_dir.glob("*-use-jwt-bearer-tokens.md")
        assert adr.name in written

    run(scenario)


def test_plan_mode_refuses_writes_in_the_chat_and_accept_plan_carries_it_out(
    live, messages_server, kit
):
    plan = "A ping router and its test."
    create = kit.edit("create", "sandbox_app/api/routes/ping.py", file_text="x = 1\n")

    async def scenario() -> None:
        chat = Chat()
        messages_server.script([{"tool_calls": [create]}, kit.submit(artifact_summary=plan)])
        chat.say(f"/plan {kit.PROMPT}")
        final = await chat.wait_for("This is a plan: nothing was written.")
        await chat.idle()
        text = chat.text()
        assert "Permission mode: **plan**" in text
        # the refused write: a failed tool fold with the refusal in it
        assert "<details><summary>✗ str_replace_based_edit_tool: create " in text
        assert "Plan mode: nothing may be written yet" in text
        assert "plan proposed (1 edit(s), nothing written)" in final
        workspace = Path(chat.ychat.get_metadata()[META_KEY]["workspace"])
        assert not (workspace / "sandbox_app/api/routes/ping.py").exists()

        messages_server.script([{"tool_calls": [create]}, kit.submit()])
        chat.say("/accept-plan")
        await chat.wait_for("### Execution Contract")
        await chat.idle()
        assert (workspace / "sandbox_app/api/routes/ping.py").is_file()
        assert "The plan is accepted" in last_user_text(messages_server.received[2])
        assert chat.ychat.get_metadata()[META_KEY]["permission_mode"] == "accept-edits"

    run(scenario)


def test_spec_commands_go_to_the_run_and_new_starts_afresh(live, messages_server, kit):
    async def scenario() -> None:
        chat = Chat()
        messages_server.script([kit.submit()])
        chat.say("/sp.specify a ping endpoint")
        # The stage ran: its spec was laid down from the template, and a contract that left
        # the template unfilled was sent back by the stage check.
        reply = await chat.wait_for("stage is not finished")
        await chat.idle()
        assert "specs/001-ping" in reply
        first = chat.ychat.get_metadata()[META_KEY]["session"]
        assert "a ping endpoint" in said(messages_server.received[0].body["messages"][0])

        chat.say("/new")
        await chat.wait_for("New session")
        await chat.idle()
        messages_server.script([kit.submit()])
        chat.say("Start over")
        await chat.wait_for("### Execution Contract")
        await chat.idle()
        assert len(messages_server.received[-1].body["messages"]) == 1  # nothing earlier went
        assert chat.ychat.get_metadata()[META_KEY]["session"] != first
        chat.say("/nonsense")
        await chat.wait_for("Unknown command `/nonsense`")

    run(scenario)


def test_a_key_with_replay_mode_says_why_nothing_runs(monkeypatch, kit, messages_server):
    from agent_kernel.settings import reload_settings

    monkeypatch.setenv("ANTHROPIC_API_KEY", kit.canary())
    monkeypatch.setenv("WORKBENCH_MODE", "replay")
    reload_settings()

    async def scenario() -> None:
        chat = Chat()
        chat.say("Add a GET /api/ping route")
        reply = await chat.wait_for("**No model to answer:**")
        await chat.idle()
        assert "`WORKBENCH_MODE` is `replay`" in reply
        assert messages_server.received == []

    run(scenario)
