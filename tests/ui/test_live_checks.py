"""`wb.client()`: the workspace app, fresh each time; a broken app fails clearly and the
process lives on."""

from __future__ import annotations

import gc
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_kernel import AppLoadError, Workbench

TIMEOUT = 4.0


@pytest.fixture
def wb(tmp_path: Path) -> Iterator[Workbench]:
    bench = Workbench(workspace=tmp_path / "ws", history=tmp_path / "history", mode="replay")
    yield bench
    bench.close()


def main_py(wb: Workbench) -> Path:
    return wb.workspace.root / "sandbox_app" / "main.py"


def assert_healthy(wb: Workbench) -> None:
    response = wb.client(timeout=TIMEOUT).get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}


def no_loader_threads_left() -> bool:
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if not any(t.name.startswith("workbench-") and t.is_alive() for t in threading.enumerate()):
            return True
        time.sleep(0.05)
    return False


def break_app(wb: Workbench, edit) -> str:
    path = main_py(wb)
    good = path.read_text(encoding="utf-8")
    path.write_text(edit(good), encoding="utf-8")
    return good


CASES = {
    "import error": (
        lambda src: "import a_module_that_does_not_exist\n" + src,
        r"failed during importing: ModuleNotFoundError: No module named "
        r"'a_module_that_does_not_exist' at main\.py:1",
    ),
    "syntax error": (
        lambda src: src + "\ndef broken(:\n    pass\n",
        r"failed during importing: SyntaxError: .* at main\.py:\d+",
    ),
    "exception at startup": (
        lambda src: src.replace(
            "    init_db(get_engine())\n", "    raise RuntimeError('database is down')\n"
        ),
        r"failed during starting up \(lifespan\): RuntimeError: database is down at main\.py:\d+",
    ),
    "endless loop at import": (
        lambda src: "while True:\n    pass\n" + src,
        r"did not finish importing within 4 s \(an endless loop or a blocking call at import "
        r"or startup\?\); the kernel is fine",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_app_gives_a_clear_error_in_time_and_the_process_lives_on(wb, case):
    edit, message = CASES[case]
    assert_healthy(wb)
    good = break_app(wb, edit)
    started = time.monotonic()
    with pytest.raises(AppLoadError, match=message):
        wb.client(timeout=TIMEOUT)
    assert time.monotonic() - started < TIMEOUT + 3
    assert no_loader_threads_left(), "the loader thread was stopped, not left spinning"
    # the process goes on: restore the app and it loads fine again
    main_py(wb).write_text(good, encoding="utf-8")
    assert_healthy(wb)


def test_the_client_reflects_the_latest_files(wb):
    health = wb.workspace.root / "sandbox_app" / "api" / "routes" / "health.py"
    first = wb.client(timeout=TIMEOUT)
    assert first.get("/api/health").json()["status"] == "ok"
    health.write_text(
        health.read_text(encoding="utf-8").replace('"status": "ok"', '"status": "edited"'),
        encoding="utf-8",
    )
    routes = wb.workspace.root / "sandbox_app" / "api" / "routes"
    (routes / "echo.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/echo/{word}')\ndef echo(word: str) -> dict[str, str]:\n"
        "    return {'echo': word}\n",
        encoding="utf-8",
    )
    router = wb.workspace.root / "sandbox_app" / "api" / "router.py"
    router.write_text(
        router.read_text(encoding="utf-8").replace("import health", "import echo, health")
        + "api_router.include_router(echo.router)\n",
        encoding="utf-8",
    )
    second = wb.client(timeout=TIMEOUT)
    assert second is not first
    assert second.get("/api/health").json()["status"] == "edited"
    assert second.get("/api/echo/hi").json() == {"echo": "hi"}
    assert first.app is not second.app


def loaded_apps() -> set[str]:
    return {name.split(".")[0] for name in sys.modules if name.startswith("_workbench_app_")}


def test_a_replaced_or_broken_app_is_let_go(wb):
    """Each load imports a whole copy of the app; a replaced or failed one leaves nothing."""
    before = loaded_apps()
    first = wb.client(timeout=TIMEOUT)
    first_app = weakref.ref(first.app)
    assert loaded_apps() - before == {first.app_package}
    del first
    second = wb.client(timeout=TIMEOUT)
    assert loaded_apps() - before == {second.app_package}
    gc.collect()
    assert first_app() is None, "the replaced app is still alive"

    break_app(wb, lambda src: src + "\nraise RuntimeError('broken at import')\n")
    with pytest.raises(AppLoadError, match="broken at import"):
        wb.client(timeout=TIMEOUT)
    assert loaded_apps() == before
    wb.close()
    assert loaded_apps() == before


def test_app_module_reaches_the_loaded_apps_own_modules(wb):
    with pytest.raises(RuntimeError, match=r"call wb\.client"):
        wb.app_module("core.db")
    client = wb.client(timeout=TIMEOUT)
    db = wb.app_module("core.db")
    assert db.__name__ == f"{client.app_package}.core.db"

    def broken_session():
        raise RuntimeError("no database in this check")
        yield  # pragma: no cover

    client.app.dependency_overrides[db.get_session] = broken_session
    with pytest.raises(RuntimeError, match="no database"):
        client.get("/api/health")
    client.app.dependency_overrides.clear()
    assert client.get("/api/health").status_code == 200


def test_wb_pytest_runs_the_workspace_suite_with_any_options(wb: Workbench):
    run = wb.pytest()
    assert run.passed and run.counts.get("passed", 0) >= 1, run.output

    collected = wb.pytest("--collect-only")
    assert "tests/test_health.py::" in collected.output

    (wb.workspace.root / "tests" / "test_broken.py").write_text(
        "def test_broken():\n    assert 'red' == 'green'\n"
    )
    broken = wb.pytest("tests/test_broken.py")
    assert not broken.passed and broken.counts == {"failed": 1}
    assert "assert 'red' == 'green'" in broken.output
