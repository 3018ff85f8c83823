"""Workbench settings from the environment and `.env`, read once behind a cached getter."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]

Mode = Literal["live", "record", "replay", "auto"]
MODES: tuple[str, ...] = ("live", "record", "replay", "auto")
TRUTHY = frozenset({"1", "true", "yes", "on"})


class WorkbenchSettings(BaseSettings):
    """Everything a run can be configured with; the API key never leaves a SecretStr."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    anthropic_api_key: SecretStr | None = Field(default=None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, alias="ANTHROPIC_BASE_URL")
    # A plain string: an unknown WORKBENCH_MODE is reported by the client factory as a
    # ModeError naming the choices, not as a settings crash.
    mode: str = Field(default="auto", alias="WORKBENCH_MODE")
    model: str | None = Field(default=None, alias="WORKBENCH_MODEL")
    max_retries: int = Field(default=2, alias="WORKBENCH_MAX_RETRIES")
    request_timeout: float = Field(default=600.0, alias="WORKBENCH_REQUEST_TIMEOUT")
    max_tokens: int = Field(default=8192, alias="WORKBENCH_MAX_TOKENS")
    ci: bool = Field(default=False, alias="CI")

    @field_validator("ci", mode="before")
    @classmethod
    def _lenient_flag(cls, value: object) -> bool:
        """CI systems set `CI` to anything (``, `1`, `true`, `woodpecker`); never fail on it."""
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in TRUTHY

    @property
    def api_key(self) -> str | None:
        if self.anthropic_api_key is None:
            return None
        value = self.anthropic_api_key.get_secret_value().strip()
        return value or None


def state_dir() -> Path:
    """`WORKBENCH_STATE_DIR`, else `$XDG_STATE_HOME/fastapi-workbench` (~/.local/state)."""
    configured = os.environ.get("WORKBENCH_STATE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "fastapi-workbench"


class SettingsError(ValueError):
    """An environment variable or `.env` entry the workbench cannot use, named in one line."""


def dotenv_files() -> tuple[Path | str, ...]:
    """The repo's `.env` (a notebook's working directory is notebooks/), then the working
    directory's, which wins; the environment wins over both. `WORKBENCH_REPO_DOTENV=0`
    leaves the repo's file out (the test suite does, so a developer's key never leaks in).
    """
    if os.environ.get("WORKBENCH_REPO_DOTENV", "1").strip() == "0":
        return (".env",)
    return (REPO_ROOT / ".env", ".env")


@lru_cache
def get_settings() -> WorkbenchSettings:
    try:
        return WorkbenchSettings(_env_file=dotenv_files())
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise SettingsError(f"invalid setting ({problems})") from None


def reload_settings() -> WorkbenchSettings:
    """Forget the cached settings (after the environment or `.env` changed)."""
    get_settings.cache_clear()
    return get_settings()


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in TRUTHY
