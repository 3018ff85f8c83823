"""App discovery for each common layout, from pyproject.toml or the conventions, and its
failure messages; `workbench inspect --project` prints what was found."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent_kernel.project.discovery import DiscoveryError, discover, mask_url

from .conftest import DOTENV, FACTORY, NOTES, SINGLE_MAIN, SRC_LAYOUT


@pytest.mark.parametrize(
    ("files", "ref", "found_by", "import_root"),
    [
        (SINGLE_MAIN, "main:app", "found by convention: main.py", "."),
        (SRC_LAYOUT, "shop.main:app", "found by convention: src/shop/main.py", "src"),
        (FACTORY, "service.main:create_app()", "found by convention: service/main.py", "."),
        (DOTENV, "app.main:app", "found by convention: app/main.py", "."),
    ],
    ids=["single-main", "src-layout", "factory", "dotenv"],
)
def test_each_layout_is_found_by_convention(make_project, files, ref, found_by, import_root):
    root = make_project(files)
    info = discover(root)
    assert info.app_ref == ref
    assert info.found_by == found_by
    assert info.import_root == (root / import_root).resolve()
    assert info.app_file.is_file()


def test_full_stack_style_project_with_absolute_imports():
    info = discover(NOTES)
    assert info.app_ref == "app.main:app"
    assert info.tests == ["tests"]
    assert info.pytest_config == "pyproject.toml [tool.pytest.ini_options]"
    assert info.top_level == "app"


def test_pyproject_names_the_app(make_project):
    files = {
        **FACTORY,
        "service/main.py": FACTORY["service/main.py"] + "\nother = create_app()\n",
        "pyproject.toml": '[tool.workbench]\napp = "service.main:other"\n',
    }
    info = discover(make_project(files))
    assert info.app_ref == "service.main:other"
    assert info.found_by == "from pyproject.toml [tool.workbench] app"


def test_pyproject_names_a_factory_and_fastapi_cli_entrypoint(make_project):
    named = discover(
        make_project(
            {**FACTORY, "pyproject.toml": '[tool.workbench]\napp = "service.main:create_app"\n'},
            "named",
        )
    )
    assert named.factory and named.app_ref == "service.main:create_app()"
    cli = discover(
        make_project(
            {**SRC_LAYOUT, "pyproject.toml": '[tool.fastapi]\nentrypoint = "shop.main:app"\n'},
            "cli",
        )
    )
    assert cli.found_by == "from pyproject.toml [tool.fastapi] entrypoint"
    assert cli.import_root.name == "src"


def test_no_app_says_what_was_tried_and_how_to_set_it(make_project):
    root = make_project({"main.py": "print('not an app')\n", "app/util.py": "X = 1\n"})
    with pytest.raises(DiscoveryError) as caught:
        discover(root)
    message = str(caught.value)
    assert "no FastAPI app found" in message
    assert "main.py, app.py, api.py, server.py, asgi.py, app/main.py" in message
    assert "app/server.py" in message
    assert '[tool.workbench]\n    app = "module:attr"' in message


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('app = "main"', 'is not of the form "module:attr"'),
        ('app = "missing.module:app"', "names module 'missing.module', but there is no"),
    ],
)
def test_a_bad_setting_is_named(make_project, setting, expected):
    root = make_project({**SINGLE_MAIN, "pyproject.toml": f"[tool.workbench]\n{setting}\n"})
    with pytest.raises(DiscoveryError, match=expected):
        discover(root)


def test_a_missing_directory_and_bad_toml_are_clear(tmp_path, make_project):
    with pytest.raises(DiscoveryError, match="no project directory"):
        discover(tmp_path / "nowhere")
    with pytest.raises(DiscoveryError, match="is not valid TOML"):
        discover(make_project({**SINGLE_MAIN, "pyproject.toml": "[tool.workbench\n"}))


def test_the_password_of_a_database_url_is_masked():
    url = "postgresql+psycopg://app:s3cret@db:5432/app"
    assert mask_url(url) == "postgresql+psycopg://app:***@db:5432/app"


def test_inspect_prints_app_tests_settings_database_and_git(make_project):
    root = make_project({**DOTENV, "tests/test_hello.py": "def test_x():\n    pass\n"}, repo=True)
    (root / ".env").write_text(
        "GREETING=hi\nAPI_TOKEN=tok-1234567890\nDATABASE_URL=postgresql://u:pw-9876@db/app\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "agent_kernel.terminal.cli", "inspect", "--project", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "app:       app.main:app  (app/main.py; found by convention: app/main.py)" in out
    assert "tests:     tests/" in out
    assert "API_TOKEN, DATABASE_URL, GREETING (values never shown)" in out
    assert "database:  postgresql://u:***@db/app" in out
    assert "main at " in out and "clean" in out
    assert "tok-1234567890" not in out and "pw-9876" not in out


def test_inspect_without_an_app_fails_with_the_message(make_project):
    root = make_project({"README.md": "docs only\n"})
    done = subprocess.run(
        [sys.executable, "-m", "agent_kernel.terminal.cli", "inspect", "--project", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "no FastAPI app found" in done.stderr and "[tool.workbench]" in done.stderr


def test_the_baseline_is_one_project_among_others():
    from .conftest import REPO

    info = discover(REPO)
    assert info.app_ref == "sandbox_app.main:create_app()"
    assert info.found_by == "from pyproject.toml [tool.workbench] app"
    assert "(relative, top-level package 'sandbox_app')" in info.describe()
    assert "(absolute, top-level package 'app')" in discover(NOTES).describe()
