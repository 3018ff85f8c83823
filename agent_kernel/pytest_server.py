"""Warm pytest: a process with pytest and the app stack already imported, forking one child per run.

A fresh `python -m pytest` spends most of its second importing pytest, FastAPI, SQLAlchemy
and Pydantic before it reaches the first test, and a session runs pytest several times. A
server imports them once; each run is a `fork()` of it, so every run still starts from a
clean interpreter (the workspace's own modules are never imported in the server) and keeps
the guarantees of a subprocess: its own session and process group, killed as a whole past
its time limit, an environment given per run, output in a file.

The server is started with a scrubbed environment, so a run cannot find a key in
`/proc/self/environ` either. It lives as long as the process that started it: it exits when
its stdin closes. Without `fork()` (or with WORKBENCH_WARM_PYTEST=0) runs fall back to a
plain subprocess; a server that misbehaves is dropped and the run is done the plain way.

Protocol, one JSON object per line: the client sends {"argv", "cwd", "env", "path",
"output"}; the server answers {"pid": N} once the child runs, then {"exit": code}.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .bounded_process import BoundedRun, run_bounded

ENABLE_ENV = "WORKBENCH_WARM_PYTEST"
# Imported once in the server: pytest with its plugins, and what app tests import.
PRELOAD = (
    "pytest",
    "_pytest.python",
    "_pytest.junitxml",
    "fastapi",
    "fastapi.testclient",
    "starlette.testclient",
    "pydantic",
    "pydantic.v1",  # FastAPI imports it on the first route, to tell v1 models apart
    "pydantic_settings",
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.ext.asyncio",
    "httpx",
    "jwt",
    "pwdlib",
    "anyio",
)
# Plugins the workbench's own environment has but app tests never use.
SKIPPED_PLUGINS = ("nbval",)
ALREADY_IMPORTED = "Module already imported so cannot be rewritten; "
REPLY_GRACE = 10.0  # seconds to wait for the server's answer once the child is gone


class ServerError(RuntimeError):
    """The server did not answer as it should; the run is done in a plain subprocess."""


def enabled() -> bool:
    return hasattr(os, "fork") and os.environ.get(ENABLE_ENV, "1") != "0"


# -- the server ------------------------------------------------------------------------------


def _preload() -> list[str]:
    """Import the stack; the warning filters every run then needs (see below)."""
    for name in PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    from importlib.metadata import entry_points

    preloaded = set()
    for plugin in entry_points(group="pytest11"):
        if plugin.name not in SKIPPED_PLUGINS:
            with contextlib.suppress(Exception):
                plugin.load()
                preloaded.add(plugin.value.split(".")[0].split(":")[0])
    # Everything imported so far lives as long as the server: out of the collector's sight,
    # pytest's gc.collect() at the end of each run walks only what the run made.
    gc.freeze()
    # pytest would rewrite the asserts of plugin modules it imports itself, and says so when
    # it finds them imported already. Here that is by design, so only that note is silenced.
    return [
        f"-Wignore:{ALREADY_IMPORTED}{name}:pytest.PytestAssertRewriteWarning"
        for name in sorted(preloaded)
    ]


def _child(request: dict[str, Any], replies: int, filters: list[str]) -> None:
    """In the forked child: become the pytest run the request describes; never returns."""
    code = 3
    try:
        os.close(replies)  # only the server answers; a leftover grandchild must not hold it
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(null)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # As `python -m pytest` run in cwd with PYTHONPATH: cwd first, then the given paths.
        sys.path[:1] = [request["cwd"], *request["path"]]
        sys.dont_write_bytecode = True
        import pytest

        code = int(pytest.main([*filters, *request["argv"]]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # reported in the run's output, like a crash
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    """Read requests from stdin until it closes; one forked child per request, in turn."""
    # Replies get stdout's pipe to themselves: whatever an import prints goes to stderr.
    replies = os.dup(1)
    os.dup2(2, 1)
    filters = _preload()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request, replies, filters)
        os.write(replies, (json.dumps({"pid": pid}) + "\n").encode())
        _, status = os.waitpid(pid, 0)
        os.write(replies, (json.dumps({"exit": os.waitstatus_to_exitcode(status)}) + "\n").encode())


# -- the client ------------------------------------------------------------------------------


class PytestServer:
    """One server process, used by one run at a time."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent_kernel.pytest_server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=tempfile.gettempdir(),
            env=dict(env),
            start_new_session=True,  # an interrupt of the kernel is not meant for it
        )
        self._buffer = b""

    def alive(self) -> bool:
        return self.process.poll() is None

    def run(
        self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str], timeout: float
    ) -> BoundedRun:
        """One pytest run in a forked child; past `timeout` its process group is killed."""
        started = time.monotonic()
        deadline = started + timeout
        path = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        with tempfile.NamedTemporaryFile(prefix="pytest-run-", suffix=".log") as sink:
            request = {
                "argv": list(argv),
                "cwd": cwd,
                "env": dict(env),
                "path": path,
                "output": sink.name,
            }
            self._send(request)
            pid = self._receive(deadline + REPLY_GRACE)["pid"]
            timed_out = False
            try:
                reply = self._receive(deadline)
            except TimeoutError:
                timed_out = True
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                reply = self._receive(time.monotonic() + REPLY_GRACE)
            duration = time.monotonic() - started
            output = Path(sink.name).read_bytes().decode("utf-8", errors="replace")
        exit_code = None if timed_out else int(reply["exit"])
        return BoundedRun(exit_code, timed_out, output, duration)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.process.stdin:
                self.process.stdin.close()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def _send(self, request: dict[str, Any]) -> None:
        if not self.alive() or self.process.stdin is None:
            raise ServerError("the pytest server is not running")
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        except OSError as exc:
            raise ServerError(f"the pytest server did not take the request: {exc}") from exc

    def _receive(self, deadline: float) -> dict[str, Any]:
        """The next reply line; TimeoutError at `deadline`, ServerError if the server died."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise ServerError("the pytest server exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except json.JSONDecodeError as exc:
            raise ServerError(f"the pytest server answered {line[:200]!r}") from exc


class ServerPool:
    """Idle servers, taken one per run and given back; a new one when all are busy."""

    MAX_FAILURES = 3  # then this process stops trying: every run goes the plain way

    def __init__(self) -> None:
        self._idle: list[PytestServer] = []
        self._all: list[PytestServer] = []
        self._lock = threading.Lock()
        self.failures = 0

    @property
    def usable(self) -> bool:
        return enabled() and self.failures < self.MAX_FAILURES

    def prestart(self) -> None:
        """Start a server ahead of need, so its imports overlap with other work."""
        if not self.usable:
            return
        with self._lock:
            if not any(server.alive() for server in self._idle):
                self._idle.append(self._start())

    def run(
        self, argv: Sequence[str], *, cwd: str, env: Mapping[str, str], timeout: float
    ) -> BoundedRun:
        server = self._take()
        try:
            run = server.run(argv, cwd=cwd, env=env, timeout=timeout)
        except (ServerError, TimeoutError, OSError, KeyError, ValueError):
            self.failures += 1
            self._drop(server)
            raise ServerError("the pytest server failed") from None
        with self._lock:
            self._idle.append(server)
        return run

    def close(self) -> None:
        with self._lock:
            servers, self._all, self._idle = self._all, [], []
        for server in servers:
            server.close()

    def _take(self) -> PytestServer:
        with self._lock:
            while self._idle:
                server = self._idle.pop()
                if server.alive():
                    return server
                self._all.remove(server)
            return self._start()

    def _start(self) -> PytestServer:
        server = PytestServer(server_environment())
        self._all.append(server)
        return server

    def _drop(self, server: PytestServer) -> None:
        with self._lock:
            if server in self._all:
                self._all.remove(server)
        server.close()


def server_environment() -> dict[str, str]:
    """The server's own environment: no credentials, no PYTHONPATH, no pytest settings."""
    from .tools.run_tests import safe_environment

    env = safe_environment("")
    env.pop("PYTHONPATH", None)
    return env


POOL = ServerPool()
atexit.register(POOL.close)


def prestart() -> None:
    """Have a warm server ready (or starting) before the first test run needs it."""
    POOL.prestart()


def run_pytest_process(
    argv: Sequence[str], *, cwd: Path | str, env: Mapping[str, str], timeout: float
) -> BoundedRun:
    """`python -m pytest ARGV` in `cwd` with `env`: warm when it can be, plain otherwise."""
    if POOL.usable:
        with contextlib.suppress(ServerError):
            return POOL.run(argv, cwd=str(cwd), env=env, timeout=timeout)
    command = [sys.executable, "-m", "pytest", *argv]
    return run_bounded(command, cwd=cwd, env=env, timeout=timeout)


if __name__ == "__main__":
    serve()
