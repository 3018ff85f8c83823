"""A project as it really is: its own interpreter, its conventions, its settings, its tests'
folder, and nothing of the workbench left in its repository afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agent_kernel import Workbench
from agent_kernel.history.redaction import redact
from agent_kernel.project.discovery import discover
from agent_kernel.project.interpreter import InterpreterError, find_interpreter
from agent_kernel.project.live_check import AppLoadError
from agent_kernel.terminal.cli import main as cli
from agent_kernel.tools.base import ToolContext
from agent_kernel.tools.run_command import RunCommandTool

from .conftest import REPO, SINGLE_MAIN, git, git_init, write_tree

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


def open_wb(root, tmp_path, **kwargs) -> Workbench:
    return Workbench(project=root, workspace=tmp_path / "ws", display=False, **kwargs)


# -- discovery -------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", ["server.py", "asgi.py", "app/server.py"])
def test_the_new_conventions_find_the_app(make_project, rel):
    files = {rel: APP}
    if rel.startswith("app/"):
        files["app/__init__.py"] = ""
    info = discover(make_project(files))
    assert info.app_file.relative_to(info.root).as_posix() == rel
    assert info.found_by == f"found by convention: {rel}"


def test_app_given_by_name_wins_over_the_conventions(make_project, tmp_path):
    root = make_project({"main.py": APP, "other.py": APP.replace("app =", "second =")})
    assert discover(root, app="other:second").app_ref == "other:second"
    wb = open_wb(root, tmp_path, app="other:second")
    assert wb.workspace.info.module == "other"
    assert wb.client().get("/docs").status_code == 200
    wb.close()


def test_a_string_testpaths_is_one_path(make_project):
    root = make_project(
        {"main.py": APP, "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = "tests"\n'}
    )
    assert discover(root).tests == ["tests"]


NANO_STYLE = {
    "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--strict-markers tests/"\n',
    "svc/__init__.py": "",
    "svc/main.py": APP + '\n\n@app.get("/")\ndef index() -> str:\n    return "nano"\n',
    "svc/tests/__init__.py": "",
    "svc/tests/test_index.py": (
        "from fastapi.testclient import TestClient\n\nfrom svc.main import app\n\n\n"
        "def test_index():\n    assert TestClient(app).get('/').json() == 'nano'\n"
    ),
}


def test_tests_run_where_the_project_runs_them(make_project, tmp_path):
    info = discover(make_project(NANO_STYLE))
    assert info.test_dir == "svc"
    wb = open_wb(info.root, tmp_path)
    run = wb.pytest()
    assert run.passed, run.output
    assert run.counts == {"passed": 1}
    quiet = wb.pytest("-q")  # an explicit -q is not doubled into -qq, which drops the counts
    assert quiet.counts == {"passed": 1}, quiet.output


def test_test_dir_from_the_config_and_from_cwd(make_project, tmp_path):
    files = {k: v for k, v in NANO_STYLE.items() if k != "pyproject.toml"}
    files["pyproject.toml"] = '[tool.workbench]\ntest-dir = "svc"\n'
    assert discover(make_project(files)).test_dir == "svc"
    bare = {k: v for k, v in files.items() if k != "pyproject.toml"}
    wb = open_wb(make_project(bare, "bare"), tmp_path)
    assert wb.pytest("tests", cwd="svc").counts == {"passed": 1}
    with pytest.raises(Exception, match="outside the workspace"):
        wb.pytest(cwd="..")


def test_inspect_collects_and_warns_when_nothing_is_found(make_project, capsys):
    pyproject = '[tool.pytest.ini_options]\npython_files = ["check_*.py"]\n'
    root = make_project({**NANO_STYLE, "pyproject.toml": pyproject})
    assert cli(["inspect", "--project", str(root)]) == 0
    out, err = capsys.readouterr()
    assert "collected: 0 test(s)" in out
    assert "warning: pytest collected no tests in ./" in err and "test-dir" in err
    (root / "pyproject.toml").write_text('[tool.workbench]\ntest-dir = "svc"\n')
    assert cli(["inspect", "--project", str(root)]) == 0
    out, err = capsys.readouterr()
    assert "collected: 1 test(s) in svc/" in out and "warning" not in err


# -- the project's interpreter --------------------------------------------------------------


def fake_venv(folder: Path) -> Path:
    """A virtualenv of the workbench's base Python that sees the workbench's packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next(folder.glob("lib/python3*/site-packages"))
    (site / "workbench.pth").write_text(
        next(Path(sys.prefix).glob("lib/python3*/site-packages")).as_posix()
    )
    return folder / "bin" / "python"


def test_the_interpreter_is_found_where_projects_keep_it(make_project, tmp_path):
    root = make_project(SINGLE_MAIN)
    assert find_interpreter(root).path == sys.executable
    assert find_interpreter(root).own
    fake_venv(root / "venv")
    assert find_interpreter(root).found_by == "the project's venv/"
    fake_venv(root / ".venv")
    found = find_interpreter(root)
    assert found.path == str(root / ".venv/bin/python") and not found.own
    other = fake_venv(tmp_path / "elsewhere")
    (root / "pyproject.toml").write_text(f'[tool.workbench]\npython = "{other}"\n')
    assert find_interpreter(root).path == str(other)
    assert find_interpreter(root, root / "venv").path == str(root / "venv/bin/python")
    with pytest.raises(InterpreterError, match="not an executable Python"):
        find_interpreter(root, "no/such/python")


def test_inspect_shows_the_interpreter_with_its_versions(make_project, capsys):
    root = make_project(SINGLE_MAIN)
    fake_venv(root / ".venv")
    assert cli(["inspect", "--project", str(root)]) == 0
    out = capsys.readouterr().out
    import fastapi

    line = next(line for line in out.splitlines() if line.startswith("python:"))
    assert ".venv/bin/python (the project's .venv/)" in line
    assert f"fastapi {fastapi.__version__}" in line and "pytest" in line


def test_tests_and_commands_run_on_the_projects_interpreter(make_project, tmp_path):
    root = make_project(
        {
            "main.py": APP,
            "test_where.py": "import sys\n\n\ndef test_where():\n    print(sys.prefix)\n"
            "    assert sys.prefix.endswith('.venv')\n",
        }
    )
    fake_venv(root / ".venv")
    wb = open_wb(root, tmp_path)
    run = wb.pytest()
    assert run.passed, run.output
    ctx = ToolContext(workspace=wb.workspace)
    out = RunCommandTool(allowlist=["python -c"])(
        {"argv": ["python", "-c", "import sys; print(sys.prefix)"]}, ctx
    )
    assert out.rstrip().endswith("<env>")
    assert str(root / ".venv") not in out


# -- settings -------------------------------------------------------------------------------


BOILERPLATE = {
    ".gitignore": ".env\n",
    "src/__init__.py": "",
    "src/app/__init__.py": "",
    "src/app/core/__init__.py": "",
    "src/app/core/config.py": (
        "import os\n\nfrom starlette.config import Config\n\n"
        'config = Config(os.path.join(os.path.dirname(__file__), "..", "..", ".env"))\n'
        'SECRET_KEY = config("SECRET_KEY")\nPOSTGRES_USER = config("POSTGRES_USER")\n'
    ),
    "src/app/main.py": (
        "from fastapi import FastAPI\n\nfrom src.app.core.config import SECRET_KEY\n\n"
        'app = FastAPI()\n\n\n@app.get("/key")\ndef key() -> int:\n    return len(SECRET_KEY)\n'
    ),
    "pyproject.toml": '[tool.workbench]\napp = "src.app.main:app"\n',
}
BOILERPLATE_SECRET = "boiler-" + "9f86d081884c7d659a2feaa0c55ad015"


def test_a_dotenv_below_the_root_is_copied_and_kept_secret(make_project, tmp_path):
    root = make_project(BOILERPLATE, repo=True)
    (root / "src/.env").write_text(
        f"SECRET_KEY={BOILERPLATE_SECRET}\nPOSTGRES_USER=boiler\nPOSTGRES_PASSWORD=pw-123456\n"
        "POSTGRES_SERVER=db.local\nPOSTGRES_DB=shop\n"
    )
    wb = open_wb(root, tmp_path)
    assert (wb.workspace.root / "src/.env").is_file()
    assert wb.client().get("/key").json() == len(BOILERPLATE_SECRET)
    wb.close()
    assert redact(f"key {BOILERPLATE_SECRET}") != f"key {BOILERPLATE_SECRET}"
    (wb.workspace.root / "src/.env").write_text("SECRET_KEY=changed-in-the-copy\n")
    assert "src/.env" not in wb.workspace.changed_files() and ".env" not in wb.diff()
    info = discover(root)
    assert "src/.env" in info.describe()
    assert "postgresql://boiler:***@db.local:5432/shop (assembled from POSTGRES_" in info.describe()


def test_a_missing_starlette_setting_below_the_root_is_named(make_project, tmp_path):
    root = make_project(BOILERPLATE, repo=True)
    (root / "src/.env").write_text("POSTGRES_USER=boiler\n")
    wb = open_wb(root, tmp_path)
    with pytest.raises(
        AppLoadError, match=r"Config needs SECRET_KEY.*env=\{'SECRET_KEY': \.\.\.\}"
    ):
        wb.client()


def test_inspect_lists_getenv_settings_and_env_files(make_project, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://localhost")
    root = make_project(
        {
            "main.py": (
                "import os\n\nfrom fastapi import FastAPI\nfrom pydantic_settings import "
                "BaseSettings, SettingsConfigDict\n\n\nclass S(BaseSettings):\n"
                '    model_config = SettingsConfigDict(env_file="../.env")\n\n\n'
                'DB = os.getenv("DATABASE_URL")\nREDIS = os.environ.get("REDIS_URL")\n'
                "app = FastAPI()\n"
            )
        }
    )
    text = discover(root).describe()
    assert "DATABASE_URL (NOT SET; main.py:11)" in text
    assert "REDIS_URL (set; main.py:12)" in text
    assert "'../.env' (pydantic-settings, main.py:8)" in text


# -- a project in a subfolder ----------------------------------------------------------------


def test_diffs_of_a_subfolder_project_apply_from_the_repository_root(tmp_path):
    repo = tmp_path / "repo"
    write_tree(repo, {"README.md": "top\n", **{f"backend/{k}": v for k, v in SINGLE_MAIN.items()}})
    git_init(repo)
    wb = Workbench(project=repo / "backend", display=False)
    (wb.workspace.root / "greetings.py").write_text('def hello() -> str:\n    return "hi"\n')
    diff = wb.diff()
    assert "diff --git a/backend/greetings.py b/backend/greetings.py" in diff
    patch = tmp_path / "change.patch"
    patch.write_text(diff)
    git(repo, "apply", "--check", str(patch))
    assert wb.apply() == ["updated backend/greetings.py"]
    assert "hi" in (repo / "backend/greetings.py").read_text()


# -- nothing left behind ----------------------------------------------------------------------


def worktrees(repo: Path) -> list[str]:
    return [
        line.split(" ", 1)[1]
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


OPEN_AND_EXIT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    from agent_kernel import Workbench
    wb = Workbench(project=sys.argv[1], display=False)
    print(wb.workspace.checkout_dir, flush=True)
    if sys.argv[2] == "hang":
        import time
        time.sleep(60)
    """
)


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """A temp folder of this test's own: `workbench clean` here never sees anyone else's."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def run_owner(project: Path, how: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", OPEN_AND_EXIT.format(repo=str(REPO)), str(project), how],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "WORKBENCH_WARM_PYTEST": "0"},
    )


def test_git_worktree_list_shows_only_the_users_own_after_a_process_exits(
    make_project, private_tmp
):
    root = make_project(SINGLE_MAIN, repo=True)
    owner = run_owner(root, "exit")
    checkout = owner.stdout.readline().strip()
    assert owner.wait(timeout=60) == 0
    assert worktrees(root) == [str(root)]
    assert not Path(checkout).exists()


def test_a_killed_owners_worktree_is_pruned_and_cleaned(make_project, capsys, private_tmp):
    root = make_project(SINGLE_MAIN, repo=True)
    owner = run_owner(root, "hang")
    checkout = owner.stdout.readline().strip()
    assert checkout in worktrees(root)
    assert cli(["clean", "--dry-run"]) == 0
    assert f"kept: worktree of {root}: {checkout} (in use by pid {owner.pid})" in (
        capsys.readouterr().out
    )
    owner.send_signal(signal.SIGKILL)
    owner.wait(timeout=30)
    assert checkout in worktrees(root)  # nobody removed it: its owner died
    assert cli(["clean", "--dry-run"]) == 0
    assert f"would remove: worktree of {root}: {checkout} (stale)" in capsys.readouterr().out
    assert checkout in worktrees(root)
    wb = Workbench(project=root, display=False)  # opening the project again prunes it
    assert checkout not in worktrees(root)
    with wb:
        assert str(wb.workspace.checkout_dir) in worktrees(root)
    assert worktrees(root) == [str(root)]  # the end of the with-block removed the copy


def test_workbench_clean_removes_stale_copies(make_project, capsys, private_tmp):
    root = make_project(SINGLE_MAIN, repo=True)
    owner = run_owner(root, "hang")
    checkout = owner.stdout.readline().strip()
    owner.send_signal(signal.SIGKILL)
    owner.wait(timeout=30)
    assert cli(["clean"]) == 0
    assert f"removed: worktree of {root}: {checkout} (stale)" in capsys.readouterr().out
    assert worktrees(root) == [str(root)] and not Path(checkout).exists()


def test_a_collected_workbench_removes_its_copy(make_project, private_tmp):
    import gc

    root = make_project(SINGLE_MAIN, repo=True)
    wb = Workbench(project=root, display=False)
    checkout = wb.workspace.checkout_dir
    assert str(checkout) in worktrees(root)
    del wb
    gc.collect()
    assert worktrees(root) == [str(root)] and not checkout.exists()


def test_a_named_workspace_is_kept(make_project, tmp_path):
    import gc

    root = make_project(SINGLE_MAIN, repo=True)
    wb = open_wb(root, tmp_path)
    del wb
    gc.collect()
    assert str(tmp_path / "ws") in worktrees(root)  # the user asked for it: theirs to remove


def test_forked_runs_reseed_faker_and_numpy_when_present(monkeypatch):
    import random
    import types

    from agent_kernel.project import fork_state

    seeded = []
    faker_generator = types.ModuleType("faker.generator")
    faker_generator.random = random.Random(0)
    numpy_random = types.ModuleType("numpy.random")
    numpy_random.seed = lambda seed=None: seeded.append(seed)
    monkeypatch.setitem(sys.modules, "faker.generator", faker_generator)
    monkeypatch.setitem(sys.modules, "numpy.random", numpy_random)
    before = random.Random(0).random()
    fork_state.reseed()
    assert faker_generator.random.random() != before
    assert seeded == [None]  # NumPy's legacy global state, from the OS's entropy


def test_clean_keeps_a_temp_workspace_in_use_and_one_of_unknown_owner(capsys, private_tmp):
    import json
    import time

    from agent_kernel.project.workspace import Workspace

    mine = Workspace.create()  # a baseline workspace of this (running) process
    assert mine.root.parent == private_tmp
    unowned = private_tmp / "workbench-older"
    (unowned / ".workbench").mkdir(parents=True)
    dead = private_tmp / "workbench-dead"
    (dead / ".workbench").mkdir(parents=True)
    (dead / ".workbench/owner.json").write_text(json.dumps({"pid": 2**22 + 7, "temp": True}))
    assert cli(["clean"]) == 0
    out = capsys.readouterr().out
    assert f"kept: workspace: {mine.root} (in use by pid {os.getpid()})" in out
    assert f"kept: workspace: {unowned} (no owner recorded, used within the hour: kept)" in out
    assert f"removed: workspace: {dead} (stale)" in out
    assert mine.root.exists() and unowned.exists() and not dead.exists()
    old = time.time() - 7200
    for path in (unowned, unowned / ".workbench"):
        os.utime(path, (old, old))
    assert cli(["clean", "--dry-run"]) == 0
    assert f"would remove: workspace: {unowned} (stale)" in capsys.readouterr().out


def test_inspect_takes_the_app_and_the_python_on_the_command_line(make_project, capsys):
    root = make_project({"service.py": APP.replace("app =", "web =")})
    assert cli(["inspect", "--project", str(root)]) == 1
    assert "no FastAPI app found" in capsys.readouterr().err
    python = fake_venv(root.parent / "envs" / "svc")
    code = cli(["inspect", "--project", str(root), "--app", "service:web", "--python", str(python)])
    assert code == 0
    out = capsys.readouterr().out
    assert "app:       service:web  (service.py; from pyproject.toml app=)" in out
    assert "python:    python (given as python=): Python" in out
    bad = ["--app", "service:web", "--python", "nowhere/python"]
    assert cli(["inspect", "--project", str(root), *bad]) == 1
    assert "not an executable Python" in capsys.readouterr().err
