"""Settings from the environment (and `.env`), read once behind a cached getter."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

# The workspace root: the folder that holds this package. The SQLite file lives there,
# beside the package, never inside it (an installed copy must stay read-only).
WORKSPACE_ROOT = Path(__file__).resolve().parents[2]


def default_database_url() -> str:
    return f"sqlite:///{WORKSPACE_ROOT / 'sandbox.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    project_name: str = "Sandbox API"
    api_prefix: str = "/api"
    database_url: str = default_database_url()
    sql_echo: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
