"""Fixtures shared by every task's hidden checks (copied in as their conftest.py).

The checks run in a subprocess rooted at the workspace, with the workspace on PYTHONPATH,
so `sandbox_app` is the app the agent produced. Each test gets a fresh app on a throwaway
SQLite database; a test that needs settings (secrets, origins) passes them as environment
variables to `make_client`, before the app is built.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient


def clear_app_caches() -> None:
    """Forget every cached getter of the app (settings, engine, session factory, ...)."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("sandbox_app") or module is None:
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


@pytest.fixture
def make_client(tmp_path, monkeypatch) -> Iterator[Callable[..., TestClient]]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'hidden.db'}")
    opened: list[TestClient] = []

    def factory(**env: str) -> TestClient:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        import sandbox_app.main as main

        clear_app_caches()
        client = TestClient(main.create_app(), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield factory
    for client in opened:
        client.__exit__(None, None, None)
    try:
        from sandbox_app.core import db

        db.get_engine().dispose()
    except Exception:
        pass
    clear_app_caches()


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()
