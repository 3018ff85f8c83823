"""The agent's tests reach the project's PostgreSQL from inside the sandbox, and nothing else.

The database URL is a setting the project declares, so a sandboxed run sees it, and its
host:port on this machine is forwarded into the sandbox's own loopback: the baseline's own
session dependency talks to the real server.
"""

from __future__ import annotations

import pytest

from agent_kernel.project.workspace import Workspace
from agent_kernel.tools.run_tests import run_pytest

DB_TEST = """
from sqlalchemy import text

from sandbox_app.core.config import get_settings
from sandbox_app.core.db import get_engine


def test_the_database_answers_from_the_sandbox():
    assert get_settings().database_url.startswith("postgresql")
    with get_engine().connect() as connection:
        connection.execute(text("CREATE TABLE reached (n int)"))
        connection.execute(text("INSERT INTO reached VALUES (42)"))
        assert connection.execute(text("SELECT n FROM reached")).scalar() == 42
        connection.commit()
"""


@pytest.mark.postgres
def test_a_sandboxed_test_run_reaches_the_projects_postgres(postgres_url, tmp_path, monkeypatch):
    from sqlalchemy import create_engine, text

    monkeypatch.setenv("DATABASE_URL", postgres_url)
    workspace = Workspace.create(tmp_path / "ws")
    (workspace.root / "tests" / "test_db_reached.py").write_text(DB_TEST)
    run = run_pytest(workspace, "tests/test_db_reached.py")
    assert run.passed, run.output
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:  # the row is really in the server's schema
            assert connection.execute(text("SELECT n FROM reached")).scalar() == 42
    finally:
        engine.dispose()
