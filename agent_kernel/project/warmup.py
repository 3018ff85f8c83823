"""The app stack, imported in the kernel while it waits for a test run.

A test run leaves the kernel idle for a few hundred milliseconds, and the first live check
after a run (`wb.client()`) spends about as long importing what every sandbox app imports:
FastAPI's TestClient, SQLAlchemy's ORM and its SQLite dialect, pydantic-settings. Importing
them during that wait hides the cost. It happens in the waiting thread itself and only when
that is the main thread, so an import never races the person's own cells in another thread.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading

# What the sandbox app and its live check import; nothing here runs user or agent code.
STACK = (
    "fastapi",
    "fastapi.testclient",
    "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite",
    "pydantic_settings",
)

_pending: list[str] = []


def enable(modules: tuple[str, ...] = STACK) -> None:
    """Queue the stack for import in the next waits (a Workbench does this at its first run)."""
    _pending[:] = [name for name in modules if name not in sys.modules]


def step() -> bool:
    """Import one queued module; False when nothing is left to do here and now."""
    if threading.current_thread() is not threading.main_thread():
        return False
    while _pending:
        name = _pending.pop(0)
        if name in sys.modules:
            continue
        with contextlib.suppress(Exception):  # a missing extra is the live check's business
            importlib.import_module(name)
        return True
    return False
