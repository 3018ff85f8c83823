"""Live checks in the app host: a fresh process per check on the project's own interpreter.

Nothing of one check survives into the next (library registries such as SQLModel's metadata,
module globals, logging handlers); the client keeps the TestClient's API; import errors,
lifespan failures, hangs and crashes become an AppLoadError naming the root cause.
"""

from __future__ import annotations

import os
import sys

import pytest

from agent_kernel import Workbench
from agent_kernel.project.app_import import project_modules
from agent_kernel.project.live_check import AppLoadError

SQLMODEL_APP = {
    "app/__init__.py": "",
    "app/db.py": (
        "from sqlalchemy.pool import StaticPool\nfrom sqlmodel import create_engine\n\n"
        'engine = create_engine("sqlite://", poolclass=StaticPool,\n'
        '                       connect_args={"check_same_thread": False})\n'
    ),
    "app/models.py": (
        "from typing import Optional\n\nfrom sqlmodel import Field, SQLModel\n\n\n"
        "class User(SQLModel, table=True):\n"
        "    id: Optional[int] = Field(default=None, primary_key=True)\n"
        "    email: str\n"
    ),
    "app/main.py": (
        "import fastapi\nimport pydantic\nfrom fastapi import FastAPI\n"
        "from sqlmodel import Session, SQLModel, select\n\n"
        "from app.db import engine\nfrom app.models import User\n\napp = FastAPI()\n\n\n"
        '@app.on_event("startup")\ndef create_tables() -> None:\n'
        "    SQLModel.metadata.create_all(engine)\n\n\n"
        '@app.post("/users")\ndef add(email: str) -> dict:\n'
        "    with Session(engine) as session:\n"
        "        session.add(User(email=email))\n        session.commit()\n"
        "        return {'users': len(session.exec(select(User)).all())}\n\n\n"
        '@app.get("/health")\ndef health() -> dict:\n'
        "    return {\n"
        "        'tables': sorted(SQLModel.metadata.tables),\n"
        "        'fastapi': fastapi.__version__,\n"
        "        'pydantic': pydantic.VERSION,\n"
        "    }\n"
    ),
    "tests/__init__.py": "",
    "tests/test_stack.py": (
        "import fastapi\nimport pydantic\n\n\n"
        "def test_runs_on_the_projects_own_stack():\n"
        '    assert fastapi.__version__ == "0.95.2"\n'
        '    assert pydantic.VERSION.startswith("1.")\n'
    ),
}
ITEM_MODEL = (
    "\n\nclass Item(SQLModel, table=True):\n"
    "    id: Optional[int] = Field(default=None, primary_key=True)\n"
    "    title: str\n"
)


def open_wb(root, tmp_path, **kwargs) -> Workbench:
    return Workbench(project=root, workspace=tmp_path / "ws", display=False, **kwargs)


def test_two_checks_of_a_sqlmodel_app_with_an_edit_between(
    make_project, tmp_path, old_stack_python
):
    wb = open_wb(make_project(SQLMODEL_APP), tmp_path, python=old_stack_python)
    client = wb.client()
    assert client.get("/health").json()["tables"] == ["user"]
    assert client.post("/users", params={"email": "a@example.com"}).json() == {"users": 1}
    models = wb.workspace.root / "app/models.py"
    models.write_text(models.read_text() + ITEM_MODEL)
    # In one interpreter the second import fails: "Table 'user' is already defined".
    client = wb.client()
    assert client.get("/health").json()["tables"] == ["item", "user"]
    # A fresh process: a fresh in-memory database too.
    assert client.post("/users", params={"email": "b@example.com"}).json() == {"users": 1}
    wb.close()
    assert project_modules(wb.workspace.root) == []  # nothing of it in this kernel


def test_an_older_fastapi_in_the_projects_venv_is_the_one_checked_and_tested(
    make_project, tmp_path, old_stack_python
):
    root = make_project(SQLMODEL_APP)
    (root / ".venv").symlink_to(os.path.dirname(os.path.dirname(old_stack_python)))
    wb = open_wb(root, tmp_path)
    assert wb.workspace.interpreter.found_by == "the project's .venv/"
    health = wb.client().get("/health").json()
    assert health["fastapi"] == "0.95.2" and health["pydantic"].startswith("1.")
    wb.close()
    import fastapi

    assert fastapi.__version__ != "0.95.2"  # the workbench's own stay as they were
    run = wb.pytest()
    assert run.passed, run.output
    assert run.counts["passed"] == 1


RANDOM_TESTS = {
    "main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    "test_draw.py": (
        "import os\nimport random\n\nfrom faker import Faker\n\nfake = Faker()\n\n\n"
        "def test_draw():\n"
        '    with open(os.environ["DRAWS"], "a") as out:\n'
        '        out.write(f"{random.random()} {fake.email()}\\n")\n'
    ),
}


def test_two_test_runs_draw_different_random_values(make_project, tmp_path, old_stack_python):
    wb = open_wb(make_project(RANDOM_TESTS), tmp_path, python=old_stack_python)
    draws = wb.workspace.root / "draws.txt"  # the sandboxed runs write their workspace only
    for _ in range(2):
        run = wb.pytest(env={"DRAWS": str(draws)})
        assert run.passed, run.output
    first, second = draws.read_text().splitlines()
    number_1, email_1 = first.split()
    number_2, email_2 = second.split()
    assert number_1 != number_2
    assert email_1 != email_2  # Faker, imported once by its plugin in the warm server


def test_library_state_does_not_survive_between_checks(make_project, tmp_path):
    root = make_project(
        {
            "main.py": (
                "import logging\n\nfrom fastapi import FastAPI\n\n"
                'log = logging.getLogger("project")\nlog.addHandler(logging.NullHandler())\n'
                "app = FastAPI()\n\n\n"
                '@app.get("/handlers")\ndef handlers() -> int:\n'
                "    return len(log.handlers)\n"
            )
        }
    )
    wb = open_wb(root, tmp_path)
    counts = []
    for _ in range(3):
        counts.append(wb.client().get("/handlers").json())
    wb.close()
    assert counts == [1, 1, 1]


def test_the_client_behaves_as_a_testclient(make_project, tmp_path):
    root = make_project(
        {
            "main.py": (
                "from fastapi import FastAPI, Response\nfrom fastapi.responses import "
                "RedirectResponse\n\napp = FastAPI()\n\n\n"
                '@app.get("/boom")\ndef boom() -> None:\n'
                '    raise ValueError("no such thing")\n\n\n'
                '@app.get("/old")\ndef old():\n    return RedirectResponse("/new")\n\n\n'
                '@app.get("/new")\ndef new(q: str = "") -> dict:\n    return {"q": q}\n\n\n'
                '@app.post("/echo")\ndef echo(body: dict, response: Response) -> dict:\n'
                '    response.set_cookie("seen", "yes")\n    return body\n'
            )
        }
    )
    wb = open_wb(root, tmp_path)
    with wb.client() as client:
        assert client.get("/old", params={"q": "a b"}).json() == {"q": ""}
        assert client.get("/new", params={"q": "a b"}).json() == {"q": "a b"}
        echoed = client.post("/echo", json={"x": [1, 2]})
        assert echoed.json() == {"x": [1, 2]} and echoed.cookies["seen"] == "yes"
        with pytest.raises(ValueError, match="no such thing"):
            client.get("/boom")
    quiet = wb.client(raise_server_exceptions=False)
    assert quiet.get("/boom").status_code == 500
    with pytest.raises(RuntimeError, match="its own process"):
        wb.app_module("main")
    wb.close()


def test_in_kernel_is_refused_for_a_project_on_another_interpreter(
    make_project, tmp_path, old_stack_python
):
    wb = open_wb(make_project(RANDOM_TESTS), tmp_path, python=old_stack_python)
    with pytest.raises(RuntimeError, match="workbench's own interpreter"):
        wb.client(in_kernel=True)


def failing_app(make_project, tmp_path, main: str, **kwargs) -> str:
    wb = open_wb(make_project({"main.py": main}), tmp_path, **kwargs)
    with pytest.raises(AppLoadError) as caught:
        wb.client(timeout=kwargs.pop("timeout", 15.0))
    return str(caught.value)


def test_an_import_error_is_reported_with_its_place(make_project, tmp_path):
    main = "from fastapi import FastAPI\n\n1 / 0\napp = FastAPI()\n"
    message = failing_app(make_project, tmp_path, main)
    assert "while importing: ZeroDivisionError: division by zero (at main.py:3)" in message


def test_a_lifespan_failure_shows_the_exception_at_the_root(make_project, tmp_path):
    main = (
        "from contextlib import asynccontextmanager\n\nfrom fastapi import FastAPI\n\n\n"
        "@asynccontextmanager\nasync def lifespan(app):\n    client = None\n    try:\n"
        '        raise ConnectionError("Error 111 connecting to localhost:6379")\n'
        "        yield\n    finally:\n        await client.aclose()\n\n\n"
        "app = FastAPI(lifespan=lifespan)\n"
    )
    message = failing_app(make_project, tmp_path, main)
    assert "starting up (lifespan): AttributeError" in message
    assert "at the root of it: ConnectionError: Error 111 connecting to localhost:6379" in message


def test_a_hang_at_import_is_stopped_in_time(make_project, tmp_path):
    main = "from fastapi import FastAPI\n\nwhile True:\n    pass\napp = FastAPI()\n"
    wb = open_wb(make_project({"main.py": main}), tmp_path)
    with pytest.raises(AppLoadError, match="within 2 s"):
        wb.client(timeout=2.0)


def test_a_crash_names_how_the_process_ended(make_project, tmp_path):
    main = (
        "import os\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/die")\ndef die() -> None:\n    print("about to go")\n    os._exit(7)\n'
    )
    wb = open_wb(make_project({"main.py": main}), tmp_path)
    client = wb.client()
    with pytest.raises(AppLoadError, match="exited with code 7 while handling GET /die"):
        client.get("/die")
    assert wb.client().get("/docs").status_code == 200  # the next check starts afresh


def test_starlette_config_names_the_missing_setting(make_project, tmp_path):
    main = (
        "from fastapi import FastAPI\nfrom starlette.config import Config\n\n"
        'config = Config(".env")\nSECRET_KEY = config("SECRET_KEY")\napp = FastAPI()\n'
    )
    message = failing_app(make_project, tmp_path, main)
    assert "starlette's Config needs SECRET_KEY" in message
    assert "env={'SECRET_KEY': ...}" in message


def test_a_getenv_that_returned_none_is_named(make_project, tmp_path):
    main = (
        "import os\n\nfrom fastapi import FastAPI\nfrom sqlalchemy import create_engine\n\n"
        'engine = create_engine(os.getenv("DATABASE_URL"))\napp = FastAPI()\n'
    )
    message = failing_app(make_project, tmp_path, main)
    assert "os.getenv() returns None for DATABASE_URL" in message
    assert "env={'DATABASE_URL': ...}" in message


def test_the_check_runs_without_the_kernels_secrets(make_project, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-not-for-the-app")
    main = (
        "import os\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/env")\ndef env() -> list:\n    return sorted(os.environ)\n'
    )
    wb = open_wb(make_project({"main.py": main}), tmp_path, env={"GIVEN": "yes-given"})
    names = wb.client().get("/env").json()
    wb.close()
    assert "GIVEN" in names and "ANTHROPIC_API_KEY" not in names


def test_the_host_runs_on_the_projects_interpreter(make_project, tmp_path, old_stack_python):
    main = (
        "import sys\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        '@app.get("/python")\ndef python() -> str:\n    return sys.prefix\n'
    )
    wb = open_wb(make_project({"main.py": main}), tmp_path, python=old_stack_python)
    prefix = wb.client().get("/python").json()
    wb.close()
    assert prefix == os.path.dirname(os.path.dirname(old_stack_python))
    assert prefix != sys.prefix


def test_an_interpreter_too_old_for_the_host_is_refused_with_the_reason(make_project, tmp_path):
    old = tmp_path / "python3.8"
    old.write_text('#!/bin/sh\necho \'{"python": "3.8.18", "prefix": "/old"}\'\n')
    old.chmod(0o755)
    wb = open_wb(
        make_project({"main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}),
        tmp_path,
        python=str(old),
    )
    with pytest.raises(AppLoadError, match=r"Python 3\.8\.18; live checks .* need Python 3\.9"):
        wb.client()
