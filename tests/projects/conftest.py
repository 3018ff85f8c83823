"""Projects of each common layout, written into tmp dirs, and the fixture project as a git repo."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent_kernel.history.redaction import clear_registered_secrets

REPO = Path(__file__).resolve().parents[2]
NOTES = REPO / "tests" / "fixtures" / "notes_service"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}

SINGLE_MAIN = {
    "main.py": (
        "from fastapi import FastAPI\n\nfrom greetings import hello\n\napp = FastAPI()\n\n\n"
        '@app.get("/health")\ndef health() -> dict:\n    return {"status": hello()}\n'
    ),
    "greetings.py": 'def hello() -> str:\n    return "ok"\n',
    "test_main.py": (
        "from fastapi.testclient import TestClient\n\nfrom main import app\n\n\n"
        "def test_health():\n"
        '    assert TestClient(app).get("/health").json() == {"status": "ok"}\n'
    ),
}
SRC_LAYOUT = {
    "pyproject.toml": (
        '[project]\nname = "shop"\nversion = "1.0"\n\n[tool.pytest.ini_options]\n'
        'pythonpath = ["src"]\ntestpaths = ["tests"]\n'
    ),
    "src/shop/__init__.py": "",
    "src/shop/main.py": (
        "from fastapi import FastAPI\n\nfrom shop.routes import router\n\n"
        "app = FastAPI()\napp.include_router(router)\n"
    ),
    "src/shop/routes.py": (
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        '@router.get("/health")\ndef health() -> dict:\n    return {"status": "ok"}\n'
    ),
    "tests/test_shop.py": (
        "from fastapi.testclient import TestClient\n\nfrom shop.main import app\n\n\n"
        "def test_health():\n"
        '    assert TestClient(app).get("/health").status_code == 200\n'
    ),
}
FACTORY = {
    "service/__init__.py": "",
    "service/config.py": 'NAME = "factory-made"\n',
    "service/main.py": (
        "from fastapi import FastAPI\n\nfrom service.config import NAME\n\n\n"
        "def create_app() -> FastAPI:\n    app = FastAPI(title=NAME)\n\n"
        '    @app.get("/health")\n    def health() -> dict:\n        return {"name": NAME}\n\n'
        "    return app\n"
    ),
}
DOTENV = {
    "app/__init__.py": "",
    "app/settings.py": (
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
        "class Settings(BaseSettings):\n"
        '    model_config = SettingsConfigDict(env_file=".env")\n\n'
        "    GREETING: str\n    API_TOKEN: str\n\n\nsettings = Settings()\n"
    ),
    "app/main.py": (
        "from fastapi import FastAPI\n\nfrom app.settings import settings\n\napp = FastAPI()\n\n\n"
        '@app.get("/hello")\ndef hello() -> dict:\n'
        '    return {"greeting": settings.GREETING, "has_token": bool(settings.API_TOKEN)}\n'
    ),
    ".gitignore": ".env\n",
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout


def git_init(root: Path) -> Path:
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cwd of its own and no registered secrets carried from one test to the next."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    for name in list(os.environ):
        if name.startswith(("ANTHROPIC_", "WORKBENCH_")) and name != "WORKBENCH_REPO_DOTENV":
            monkeypatch.delenv(name)
    yield
    clear_registered_secrets()


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    def make(files: dict[str, str], name: str = "project", *, repo: bool = False) -> Path:
        root = write_tree(tmp_path / name, files)
        return git_init(root) if repo else root

    return make


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    """The fixture project as a user's git repository, with its secret in an ignored .env."""
    root = tmp_path / "notes"
    shutil.copytree(NOTES, root, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    git_init(root)
    (root / ".env").write_text(f"SECRET_KEY={SECRET}\n", encoding="utf-8")
    return root


SECRET = "notes-" + "e3b0c44298fc1c149afbf4c8996fb924"


@pytest.fixture(scope="session")
def old_stack_python() -> str:
    """A Python with FastAPI 0.95 on Pydantic v1, SQLModel 0.0.8 and Faker (see venvs.py)."""
    from .venvs import OLD_STACK, cached_venv

    return str(cached_venv(OLD_STACK))
