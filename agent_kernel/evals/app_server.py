"""Serve a produced app for real: uvicorn on a free loopback port, in a fresh folder.

BaxBench starts a new container for every test, so each test sees a fresh app with a fresh
database (its security tests register the same users again). `served_app` does the same:
the app's files are copied into a new folder (no database file comes along), uvicorn serves
them with `APP_SECRET` set, and the process group is stopped when the test is over.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SKIPPED = ("__pycache__", "*.pyc", "*.sqlite3", "*.db", "*.sqlite", ".pytest_cache")
START_TIMEOUT = 30.0
# The serving environment: no key or token of the caller's reaches the app.
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "SYSTEMROOT")


class AppStartError(RuntimeError):
    """The app did not start serving (it failed to import, crashed, or never listened)."""


@dataclass
class ServedApp:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, size: int = 2000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-size:]
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _environment(secret: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env.update(APP_SECRET=secret, PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(3)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(3)


@contextlib.contextmanager
def served_app(
    code_dir: Path,
    run_dir: Path,
    *,
    module: str = "app",
    attribute: str = "app",
    secret: str | None = None,
    start_timeout: float = START_TIMEOUT,
) -> Iterator[ServedApp]:
    """A fresh copy of `code_dir` in `run_dir`, served by uvicorn until the block ends."""
    folder = run_dir / "app"
    shutil.copytree(code_dir, folder, ignore=shutil.ignore_patterns(*SKIPPED))
    log_path = run_dir / "server.log"
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", f"{module}:{attribute}"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=folder,
            env=_environment(secret or secrets.token_urlsafe(24)),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    served = ServedApp(port, folder, process, log_path)
    try:
        deadline = time.monotonic() + start_timeout
        while not _listening(port):
            if process.poll() is not None:
                raise AppStartError(
                    f"the app exited with code {process.returncode} before serving:\n"
                    f"{served.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise AppStartError(f"the app did not listen within {start_timeout:g}s")
            time.sleep(0.05)
        yield served
    finally:
        _stop(process)
