"""Shared fixtures for the kernel suite: scripted cassettes, a workspace, a history, a local
Messages API server, and a clean environment (no key, no mode, no CI flag, no stray `.env`).

Everything here is offline: replay goes through the real SDK on an httpx2 transport, and the
"live" server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from agent_kernel.agent.budget import Budget
from agent_kernel.agent.result import RunResult
from agent_kernel.agent.trajectory import load_trajectory
from agent_kernel.api.cassette import expand_turns
from agent_kernel.api.client import make_client
from agent_kernel.api.sse import encode, message_events
from agent_kernel.project.pytest_run import TestRun
from agent_kernel.project.workspace import Workspace
from agent_kernel.settings import get_settings, reload_settings
from agent_kernel.tools import submit_result as submit_result_module

REPO = Path(__file__).resolve().parents[2]
PROMPT = 'Add a GET /api/ping route that answers {"ping": "pong"}.'
MODEL = "claude-sonnet-5-5"
PING_TEST = "tests/test_ping.py::test_ping"
PING_ROUTE = """from fastapi import APIRouter

router = APIRouter(tags=["ping"])


@router.get("/ping")
def ping() -> dict[str, str]:
    return {"ping": "pong"}
"""
PING_TEST_FILE = """def test_ping(client):
    assert client.get("/api/ping").json() == {"ping": "pong"}
"""


def contract(**overrides: Any) -> dict[str, Any]:
    """A valid Execution Contract (submit_result input)."""
    data: dict[str, Any] = {
        "surface_and_success": "GET /api/ping answers 200 with a pong body.",
        "constraints": ["no new dependencies"],
        "invariants": ["health route unchanged"],
        "non_goals": ["auth"],
        "artifact_summary": "A ping router and its test.",
        "acceptance_checks": [{"description": "ping answers pong", "test": PING_TEST}],
        "follow_ups_and_risks": [],
        "decisions": [],
        "phr": {"stage": "green", "feature": "ping", "title": "Add ping route to API"},
    }
    data.update(overrides)
    return data


def submit(**overrides: Any) -> dict[str, Any]:
    """A scripted turn that calls submit_result."""
    return {"tool_calls": [{"name": "submit_result", "input": contract(**overrides)}]}


def edit(command: str, path: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "str_replace_based_edit_tool",
        "input": {"command": command, "path": path, **fields},
    }


PING_EDITS = [
    edit("create", "sandbox_app/api/routes/ping.py", file_text=PING_ROUTE),
    edit(
        "str_replace",
        "sandbox_app/api/router.py",
        old_str="from .routes import health\n",
        new_str="from .routes import health, ping\n",
    ),
    edit(
        "insert",
        "sandbox_app/api/router.py",
        insert_line=5,
        insert_text="api_router.include_router(ping.router)\n",
    ),
    edit("create", "tests/test_ping.py", file_text=PING_TEST_FILE),
]
PING_FILES = ["sandbox_app/api/router.py", "sandbox_app/api/routes/ping.py", "tests/test_ping.py"]


def ping_turns() -> list[dict[str, Any]]:
    """A whole session: look, edit, submit."""
    return [
        {
            "text": "I'll read the router first.",
            "tool_calls": [edit("view", "sandbox_app/api/router.py")],
        },
        {"text": "Adding the route and a test.", "tool_calls": PING_EDITS},
        submit(),
    ]


def canary() -> str:
    """A key-shaped secret made at run time, never written into a committed file."""
    return "-".join(["sk", "ant", "api03", secrets.token_urlsafe(48)]) + "AA"


def write_cassette(
    directory: Path,
    turns: list[dict[str, Any]],
    *,
    prompt: str | None = PROMPT,
    model: str = MODEL,
    name: str = "session",
    **extra: Any,
) -> Path:
    data: dict[str, Any] = {"source": "scripted", "model": model, "date": "2026-11-27"}
    data["title"] = name
    if prompt is not None:
        data["prompt"] = prompt
    data.update(extra)
    data["turns"] = turns
    path = directory / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def tree_text(*roots: Path) -> dict[Path, str]:
    """Every file under the roots, as text (binary files decoded leniently)."""
    found: dict[Path, str] = {}
    for root in roots:
        if root.is_file():
            found[root] = root.read_text(encoding="utf-8", errors="replace")
            continue
        for path in root.rglob("*"):
            if path.is_file():
                found[path] = path.read_bytes().decode("utf-8", errors="replace")
    return found


# -- environment ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No key, no base URL, no WORKBENCH_* or CI, and a cwd without `.env`."""
    for name in list(os.environ):
        scrubbed = name.startswith(("ANTHROPIC_", "WORKBENCH_")) or name == "CI"
        if scrubbed and name != "WORKBENCH_REPO_DOTENV":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(tmp_path / "state"))  # session pointers
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    reload_settings()
    yield
    get_settings.cache_clear()


@pytest.fixture
def cassettes(tmp_path: Path) -> Path:
    path = tmp_path / "cassettes"
    path.mkdir()
    return path


@pytest.fixture
def script(cassettes: Path) -> Callable[..., Path]:
    """`script(turns, prompt=..., name=...)` writes a scripted cassette and returns its path."""

    def build(turns: list[dict[str, Any]], **kwargs: Any) -> Path:
        return write_cassette(cassettes, turns, **kwargs)

    return build


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws")


@pytest.fixture
def history(tmp_path: Path) -> Path:
    return tmp_path / "history"


# -- acceptance checks without a pytest subprocess ----------------------------------------------


@dataclass
class FakeChecks:
    """Stands in for `run_pytest` in submit_result: pass unless the target is in `failing`."""

    failing: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)

    def __call__(
        self,
        workspace: Workspace,
        target: str | None = None,
        *,
        more_targets: tuple[str, ...] | list[str] = (),
        outcomes: Path | None = None,
        **_: Any,
    ) -> TestRun:
        targets = [target or "", *more_targets]
        self.calls.extend(targets)
        passed = not self.failing.intersection(targets)
        if outcomes is not None:  # the batched form: one outcome per target, by node id
            states = {t: "failed" if t in self.failing else "passed" for t in targets}
            outcomes.write_text(json.dumps(states), encoding="utf-8")
        output = "1 passed in 0.01s" if passed else "1 failed in 0.01s"
        return TestRun(passed, 0 if passed else 1, False, output, 0.01, {})


@pytest.fixture
def fake_checks(monkeypatch: pytest.MonkeyPatch) -> FakeChecks:
    checks = FakeChecks()
    monkeypatch.setattr(submit_result_module, "run_pytest", checks)
    monkeypatch.setattr(submit_result_module, "validate_target", lambda _ws, target: target)
    return checks


@pytest.fixture
def replay_run(
    workspace: Workspace, history: Path, fake_checks: FakeChecks
) -> Callable[..., RunResult]:
    """Run the agent in replay mode on a cassette, in the test's workspace and history."""
    from agent_kernel.agent.definition import load_agent
    from agent_kernel.agent.runner import run_agent

    agent = load_agent()

    def run(
        cassette: Path,
        prompt: str = PROMPT,
        *,
        budget: Budget | None = None,
        observers: list | None = None,
        answer: Any = None,
        stop_event: threading.Event | None = None,
        **options: Any,
    ) -> RunResult:
        handle = make_client("replay", cassette=cassette)
        run.handle = handle  # type: ignore[attr-defined]  # for tests that inspect requests
        return run_agent(
            prompt,
            handle=handle,
            agent=agent,
            workspace=workspace,
            history_dir=history,
            budget=budget,
            observers=observers,
            answer=answer,
            stop_event=stop_event,
            **options,
        )

    return run


def trajectory_of(result: RunResult) -> dict[str, Any]:
    assert result.trajectory_path is not None and result.trajectory_path.is_file()
    return load_trajectory(result.trajectory_path)


@pytest.fixture
def read_trajectory() -> Callable[[RunResult], dict[str, Any]]:
    return trajectory_of


# -- a local Messages API server ---------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class MessagesServer:
    """A loopback Messages API: answers POST /v1/messages from a queue, JSON or SSE.

    The queue holds `{"response": message}` or `{"error": {"status", "type", "message"}}`
    items, served in order whatever the request says (the checks are the test's job).
    """

    def __init__(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.gzip = False  # compress bodies when the client accepts it, as gateways do
        self.received: list[Received] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server.lock:
                    server.received.append(Received(self.path, headers, body))
                    item = server.queue.pop(0) if server.queue else None
                if not self.path.endswith("/v1/messages") or item is None:
                    why = "no more scripted answers" if item is None else f"no route {self.path}"
                    self._json(400, _error_body("invalid_request_error", why))
                elif "error" in item:
                    error = item["error"]
                    self._json(
                        int(error.get("status", 500)),
                        _error_body(error.get("type", "api_error"), error.get("message", "fault")),
                        {"retry-after-ms": "5"},
                    )
                elif body.get("stream"):
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.send_header("request-id", "req_local")
                    events = [encode(event) for event in message_events(item["response"])]
                    if self._gzip():
                        self.send_header("content-encoding", "gzip")
                        events = [gzip.compress(b"".join(events))]
                    self.end_headers()
                    for event in events:
                        self.wfile.write(event)
                        self.wfile.flush()
                else:
                    self._json(200, item["response"])

            def _gzip(self) -> bool:
                return server.gzip and "gzip" in self.headers.get("accept-encoding", "")

            def _json(self, status: int, payload: Any, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                if self._gzip():
                    data = gzip.compress(data)
                    self.send_header("content-encoding", "gzip")
                self.send_header("content-length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def script(self, turns: list[dict[str, Any]], model: str = MODEL) -> None:
        """Queue a scripted session's responses (errors included)."""
        for exchange in expand_turns(turns, model):
            if exchange.error is not None:
                self.queue.append({"error": exchange.error})
            else:
                self.queue.append({"response": exchange.response})

    def start(self) -> MessagesServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


@pytest.fixture
def messages_server() -> Iterator[MessagesServer]:
    server = MessagesServer().start()
    yield server
    server.stop()


@pytest.fixture
def live_env(
    monkeypatch: pytest.MonkeyPatch, messages_server: MessagesServer
) -> Callable[[str], None]:
    """Point the SDK at the local server with `key` as ANTHROPIC_API_KEY."""

    def use(key: str) -> None:
        monkeypatch.setenv("ANTHROPIC_API_KEY", key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", messages_server.url)
        reload_settings()

    return use


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a `workbench` subprocess: the test's env, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(extra)
    return env


WORKBENCH = [sys.executable, "-m", "agent_kernel.terminal.cli"]


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (a conftest is not importable by name)."""
    return SimpleNamespace(
        PROMPT=PROMPT,
        MODEL=MODEL,
        PING_TEST=PING_TEST,
        PING_EDITS=PING_EDITS,
        PING_FILES=PING_FILES,
        WORKBENCH=WORKBENCH,
        REPO=REPO,
        contract=contract,
        submit=submit,
        edit=edit,
        ping_turns=ping_turns,
        canary=canary,
        write_cassette=write_cassette,
        tree_text=tree_text,
        cli_env=cli_env,
        trajectory_of=trajectory_of,
    )
