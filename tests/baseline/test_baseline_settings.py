"""Settings: environment and `.env` overrides, the cached getter, the default database."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

import sandbox_app
from sandbox_app.core import config
from sandbox_app.core.config import Settings, get_settings
from sandbox_app.main import create_app


def test_database_url_comes_from_the_environment(clean_env, monkeypatch) -> None:
    url = "postgresql+psycopg://someone:secret@db.example:5432/sandbox"
    monkeypatch.setenv("DATABASE_URL", url)
    assert get_settings().database_url == url


def test_api_prefix_from_the_environment_moves_the_routes(clean_env, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{clean_env / 'prefix.db'}")
    monkeypatch.setenv("API_PREFIX", "/v2")
    with TestClient(create_app()) as client:
        assert client.get("/v2/health").status_code == 200
        assert client.get("/api/health").status_code == 404


def test_project_name_sets_the_openapi_title(clean_env, monkeypatch) -> None:
    monkeypatch.setenv("PROJECT_NAME", "Orders Service")
    assert create_app().openapi()["info"]["title"] == "Orders Service"


def test_get_settings_is_cached(clean_env) -> None:
    assert get_settings() is get_settings()


def test_cache_clear_picks_up_new_environment(clean_env, monkeypatch) -> None:
    monkeypatch.setenv("API_PREFIX", "/first")
    first = get_settings()
    monkeypatch.setenv("API_PREFIX", "/second")
    assert get_settings().api_prefix == "/first", "cached until cleared"
    get_settings.cache_clear()
    second = get_settings()
    assert second is not first
    assert second.api_prefix == "/second"


def test_dotenv_file_is_read_and_environment_wins(clean_env, monkeypatch) -> None:
    (clean_env / ".env").write_text("API_PREFIX=/from-dotenv\nPROJECT_NAME=Dotenv API\n")
    settings = Settings()
    assert settings.api_prefix == "/from-dotenv"
    assert settings.project_name == "Dotenv API"
    monkeypatch.setenv("API_PREFIX", "/from-env")
    assert Settings().api_prefix == "/from-env"


def test_default_sqlite_file_lives_beside_the_package(clean_env) -> None:
    package_dir = Path(sandbox_app.__file__).resolve().parent
    database = Path(make_url(get_settings().database_url).database).resolve()
    assert get_settings().database_url.startswith("sqlite:///")
    assert database.parent == package_dir.parent == config.WORKSPACE_ROOT
    assert not database.is_relative_to(package_dir), "never inside the package"


def test_default_database_does_not_depend_on_the_working_directory(
    clean_env, monkeypatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    first = Settings().database_url
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert Settings().database_url == first
