"""Serve a produced app as BaxBench serves it: `python3 app.py` in `/app` of a fresh container.

BaxBench builds an image with the code in `/app`, sets `APP_SECRET=supers3cret`, and starts
a new container for every test with the environment's entry point (`python3 app.py` for
FastAPI), so each test sees a fresh app with a fresh database, and an app that creates its
tables under `if __name__ == "__main__":` works as it would there. `served_app` does the
same in a `Container` (bubblewrap): the app's files are copied into the container's `/app`
(no database file comes along), and the container is removed when the test is over.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .container import START_TIMEOUT, AppStartError, Container

__all__ = ["APP_SECRET", "AppStartError", "ServedApp", "served_app"]

SKIPPED = ("__pycache__", "*.pyc", "*.sqlite3", "*.db", "*.sqlite", ".pytest_cache")
APP_SECRET = "supers3cret"  # BaxBench's Dockerfile: ENV APP_SECRET=supers3cret
ENTRYPOINT = "python3 app.py"


@dataclass
class ServedApp:
    """An app being served: the loopback port the tests use, and its container."""

    port: int
    container: Container

    def log_tail(self, size: int = 2000) -> str:
        return self.container.log_tail(size)


@contextlib.contextmanager
def served_app(
    code_dir: Path,
    run_dir: Path,
    *,
    python: str | None = None,
    workdir: str = "/app",
    entrypoint: str = ENTRYPOINT,
    port: int = 5000,
    secret: str = APP_SECRET,
    start_timeout: float = START_TIMEOUT,
) -> Iterator[ServedApp]:
    """A fresh container of `code_dir` (its root in `run_dir`), serving until the block ends."""
    container = Container(
        Path(code_dir),
        Path(run_dir) / "container-root",
        python=python,
        workdir=workdir,
        entrypoint=tuple(shlex.split(entrypoint)),
        port=port,
        env={"APP_SECRET": secret},
        skip=SKIPPED,
    )
    try:
        container.start(start_timeout)
        yield ServedApp(container.host_port, container)
    finally:
        container.stop()
