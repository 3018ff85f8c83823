"""Live checks of projects with absolute imports: fresh, isolated from each other and from the
kernel, each layout answering; a clear AppLoadError for a missing setting; the project's own
test suite run with its own configuration and conftest. `wb.client()` runs a project's app in
the app host (tests/projects/test_app_host.py); `in_kernel=True` imports it here, as these
tests of that mode do."""

from __future__ import annotations

import sys
import types

import pytest

from agent_kernel import Workbench
from agent_kernel.project.app_import import project_modules
from agent_kernel.project.live_check import AppLoadError

from .conftest import DOTENV, FACTORY, SECRET, SINGLE_MAIN, SRC_LAYOUT


def open_wb(project, tmp_path, **kwargs) -> Workbench:
    return Workbench(project=project, workspace=tmp_path / "ws", display=False, **kwargs)


def leftovers(wb: Workbench) -> list[str]:
    return project_modules(wb.workspace.root)


@pytest.mark.parametrize(
    ("files", "path", "body"),
    [
        (SINGLE_MAIN, "/health", {"status": "ok"}),
        (SRC_LAYOUT, "/health", {"status": "ok"}),
        (FACTORY, "/health", {"name": "factory-made"}),
    ],
    ids=["single-main", "src-layout", "factory"],
)
def test_each_layout_answers_live(make_project, tmp_path, files, path, body):
    wb = open_wb(make_project(files), tmp_path)
    client = wb.client()
    assert client.get(path).json() == body
    wb.close()
    assert leftovers(wb) == []


def test_full_stack_style_app_answers_and_leaves_nothing_behind(notes, tmp_path):
    wb = open_wb(notes, tmp_path)
    path_before = list(sys.path)
    client = wb.client(in_kernel=True)
    assert client.get("/api/v1/utils/health-check/").json() is True
    assert wb.app_module("app.core.config").settings.SECRET_KEY == SECRET
    assert "app.api.routes.notes" in sys.modules
    wb.close()
    assert leftovers(wb) == []
    assert not [name for name in sys.modules if name == "app" or name.startswith("app.")]
    assert sys.path == path_before


def test_a_module_edited_between_two_checks_is_seen_fresh(notes, tmp_path):
    wb = open_wb(notes, tmp_path)
    route = wb.workspace.root / "app/api/routes/utils.py"
    assert wb.client(in_kernel=True).get("/api/v1/utils/health-check/").json() is True
    first_app = wb._client.app
    # Same size, same second: only a fresh compile from source sees it.
    route.write_text(route.read_text().replace("return True", "return 1==2"))
    (wb.workspace.root / "app/api/routes/extra.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        '@router.get("/extra")\ndef extra() -> str:\n    return "new module"\n'
    )
    main = wb.workspace.root / "app/api/main.py"
    main.write_text(
        main.read_text().replace("notes, utils", "extra, notes, utils")
        + "api_router.include_router(extra.router)\n"
    )
    client = wb.client(in_kernel=True)
    assert client.app is not first_app
    assert client.get("/api/v1/utils/health-check/").json() is False
    assert client.get("/api/v1/extra").json() == "new module"
    wb.close()
    assert leftovers(wb) == []


def test_a_kernel_module_with_the_same_name_is_set_aside_and_restored(notes, tmp_path):
    mine = types.ModuleType("app")
    sys.modules["app"] = mine
    try:
        wb = open_wb(notes, tmp_path)
        assert wb.client(in_kernel=True).get("/api/v1/utils/health-check/").status_code == 200
        assert sys.modules["app"] is not mine  # the project's own `app` while it is loaded
        wb.close()
        assert sys.modules["app"] is mine
    finally:
        sys.modules.pop("app", None)


def test_a_missing_setting_is_named_and_env_supplies_it(notes, tmp_path):
    (notes / ".env").unlink()
    wb = open_wb(notes, tmp_path)
    with pytest.raises(AppLoadError) as caught:
        wb.client()
    message = str(caught.value)
    assert "SECRET_KEY" in message and "env={'SECRET_KEY': ...}" in message
    assert leftovers(wb) == []

    wb = Workbench(
        project=notes,
        workspace=tmp_path / "ws2",
        display=False,
        env={"SECRET_KEY": "given-in-the-notebook"},
    )
    assert wb.client(in_kernel=True).get("/api/v1/utils/health-check/").json() is True
    assert wb.app_module("app.core.config").settings.SECRET_KEY == "given-in-the-notebook"
    wb.close()
    assert "SECRET_KEY" not in __import__("os").environ  # the kernel's own env is untouched


def test_settings_come_from_the_projects_env_file(make_project, tmp_path):
    root = make_project(DOTENV)
    (root / ".env").write_text("GREETING=hello from .env\nAPI_TOKEN=tok-abcdef123456\n")
    wb = open_wb(root, tmp_path)
    assert wb.client().get("/hello").json() == {"greeting": "hello from .env", "has_token": True}
    wb.close()


def test_a_missing_environment_variable_is_named(make_project, tmp_path):
    root = make_project(
        {
            "main.py": "import os\n\nfrom fastapi import FastAPI\n\n"
            "DSN = os.environ['SENTRY_DSN']\n"
            "app = FastAPI()\n"
        }
    )
    wb = open_wb(root, tmp_path)
    with pytest.raises(AppLoadError, match="environment variable SENTRY_DSN, which is not set"):
        wb.client()


def test_pytest_runs_the_projects_own_suite(notes, tmp_path):
    wb = open_wb(notes, tmp_path)
    run = wb.pytest("-rA")
    assert run.passed, run.output
    assert run.counts == {"passed": 5}
    assert "PASSED tests/api/test_notes.py::test_missing_note_is_404" in run.output
    # A failing project test is reported as such.
    route = wb.workspace.root / "app/api/routes/utils.py"
    route.write_text(route.read_text().replace("return True", "return False"))
    assert wb.pytest().counts == {"failed": 1, "passed": 4}


def test_src_layout_tests_use_their_pythonpath(make_project, tmp_path):
    wb = open_wb(make_project(SRC_LAYOUT), tmp_path)
    run = wb.pytest()
    assert run.passed and run.counts == {"passed": 1}, run.output


def test_the_system_prompt_describes_the_project(notes, tmp_path):
    from agent_kernel.agent.system_prompt import build_system_prompt

    wb = open_wb(notes, tmp_path)
    prompt = build_system_prompt(wb.agent, wb.workspace)
    assert "The app is `app.main:app` in `app/main.py`" in prompt
    assert "ABSOLUTE imports" in prompt and "top-level package `app`" in prompt
    assert "Tests: tests; pytest configuration: pyproject.toml" in prompt
    assert "SECRET_KEY" in prompt and SECRET not in prompt
    assert "app/api/routes/notes.py" not in prompt or "notes.py" in prompt
    assert "sandbox_app/" not in prompt.split("## This workspace")[1]
    assert "unfamiliar codebase" in prompt  # the agent definition's paragraph
