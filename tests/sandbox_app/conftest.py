"""Fixtures for the sandbox app: a throwaway SQLite database per test and a TestClient."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sandbox_app.core import config, db
from sandbox_app.main import create_app


@pytest.fixture
def client(tmp_path, monkeypatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'test.db'}")
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_session_factory.cache_clear()
    with TestClient(create_app()) as test_client:
        yield test_client
    db.get_engine().dispose()
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_session_factory.cache_clear()
