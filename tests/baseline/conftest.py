"""Fixtures for the baseline tests: each database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from `TEST_POSTGRES_URL` (CI sets it). Without it, a throwaway local
server is started from the installed binaries, because a skipped backend is an untested
backend. Only when no PostgreSQL binaries exist are those cases skipped, and with
`WORKBENCH_REQUIRE_POSTGRES=1` that turns into a failure. Every PostgreSQL test works in
a schema of its own, so parallel xdist workers never see each other's tables.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text

from sandbox_app.core import config, db
from sandbox_app.main import create_app

SETTINGS_ENV = ("DATABASE_URL", "API_PREFIX", "PROJECT_NAME", "SQL_ECHO")


def reset_caches() -> None:
    """Forget the cached settings, engine and session factory (disposing the engine)."""
    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose()
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_session_factory.cache_clear()


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No settings from the caller's environment or a stray `.env`; fresh caches."""
    monkeypatch.chdir(tmp_path)
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    reset_caches()
    yield tmp_path
    reset_caches()


# --- PostgreSQL -------------------------------------------------------------------------


def find_postgres_bindir() -> Path | None:
    """The newest Debian-style PostgreSQL bin dir, or one on PATH, or None."""

    def major(initdb: Path) -> int:
        name = initdb.parent.parent.name
        return int(name) if name.isdigit() else 0

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=major, reverse=True)
    for initdb in found:
        if (initdb.parent / "pg_ctl").exists():
            return initdb.parent
    initdb_on_path = shutil.which("initdb")
    if initdb_on_path and shutil.which("pg_ctl"):
        return Path(initdb_on_path).parent
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


INITDB_FLAGS = ["-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"]


class LocalPostgres:
    """A throwaway server in a temp dir; initdb refuses root, so it runs as `postgres`."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="workbench-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.user = self._unprivileged_user() if os.geteuid() == 0 else None
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    @staticmethod
    def _unprivileged_user() -> str:
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
            except KeyError:
                continue
            return name
        raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run initdb")

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, cwd=self.root, check=True, capture_output=True, timeout=60)

    def start(self) -> str:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        try:
            self._run("initdb", "-D", str(self.data), *INITDB_FLAGS)
            wait_and_log = ["-l", str(self.log), "-w", "-t", "30"]
            self._run("pg_ctl", "-D", str(self.data), *wait_and_log, "-o", options, "start")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            log = self.log.read_text() if self.log.exists() else ""
            self.stop()
            raise RuntimeError(
                f"could not start a local PostgreSQL from {self.bindir}: {exc}\n"
                f"{detail.decode(errors='replace')}\n{log}"
            ) from exc
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    """The URL of a PostgreSQL database the tests may create schemas in."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if os.environ.get("WORKBENCH_REQUIRE_POSTGRES") == "1":
        pytest.fail(
            "WORKBENCH_REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set: "
            "the PostgreSQL tests must run here (see .ci/run)",
            pytrace=False,
        )
    bindir = find_postgres_bindir()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL: set TEST_POSTGRES_URL or install the binaries "
            "(apt-get install postgresql) to run the PostgreSQL cases"
        )
    try:
        server = LocalPostgres(bindir)
        url = server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_admin_engine(postgres_base_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_base_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        safe = make_url(postgres_base_url).render_as_string(hide_password=True)
        pytest.fail(f"PostgreSQL at {safe} is not reachable: {exc}", pytrace=False)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin_engine: Engine) -> Iterator[str]:
    """A URL whose connections see only a fresh schema made for this one test."""
    schema = f"wb_{uuid.uuid4().hex[:16]}"
    with postgres_admin_engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = postgres_admin_engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with postgres_admin_engine.connect() as connection:
        connection.execute(text("SET lock_timeout = '10s'"))
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


# --- Backends and app -------------------------------------------------------------------

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test once on a fresh SQLite file, once on a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app_env(clean_env: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process environment points the app at this test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    reset_caches()
    yield database_url
    reset_caches()


@pytest.fixture
def app(app_env: str) -> FastAPI:
    return create_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
