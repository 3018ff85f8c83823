"""The rules the agent's processes run under, read from where the agent cannot write.

The command allowlist, the sandbox's endpoints and the settings a sandbox may see come from
`[tool.workbench]` in the user's project as it is on disk (for a project: the user's own tree,
which no sandboxed process can see; for the baseline: nothing, the defaults), never from the
workspace the agent edits: an agent that writes `extra-commands = ["sh"]` into the
workspace's pyproject.toml changes nothing.
"""

from __future__ import annotations

import shlex
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_ALLOWLIST = (
    "python -m pip show",
    "python -m pip list",
    "ruff",
    "alembic",
    "pytest",
    "python -m pytest",
    "python -m agent_kernel.project.routes",
    "git diff",
    "git log",
    "git status",
    "git grep",
    "grep",
)
DEFAULT_TIMEOUT = 60.0
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "mariadb": 3306}


class PolicyError(ValueError):
    """The project's `[tool.workbench]` table cannot be used as it stands."""


@dataclass(frozen=True)
class ProjectPolicy:
    commands: tuple[tuple[str, ...], ...]
    command_timeout: float
    allow: tuple[tuple[str, int], ...]  # endpoints the sandbox reaches, beyond the database
    settings: tuple[str, ...]  # names of variables a sandboxed process may take from ours
    source: Path | None  # the pyproject.toml it was read from

    @classmethod
    def defaults(cls) -> ProjectPolicy:
        return cls(tuple(words(e) for e in DEFAULT_ALLOWLIST), DEFAULT_TIMEOUT, (), (), None)


def words(entry: str | Sequence[str]) -> tuple[str, ...]:
    return tuple(shlex.split(entry) if isinstance(entry, str) else entry)


def read_policy(root: Path | None) -> ProjectPolicy:
    """The policy of the project at `root` (the user's tree), or the defaults for None."""
    policy = ProjectPolicy.defaults()
    pyproject = root / "pyproject.toml" if root is not None else None
    if pyproject is None or not pyproject.is_file():
        return policy
    try:
        table = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{pyproject} cannot be read for [tool.workbench]: {exc}") from exc
    config: dict[str, Any] = table.get("tool", {}).get("workbench", {})
    commands = list(policy.commands)
    if "commands" in config:
        commands = [words(e) for e in config["commands"]]
    commands += [words(e) for e in config.get("extra-commands", [])]
    sandbox = config.get("sandbox", {})
    if not isinstance(sandbox, dict):
        raise PolicyError(f"{pyproject}: [tool.workbench] sandbox must be a table")
    allow = tuple(parse_endpoint(item, pyproject) for item in sandbox.get("allow", []))
    settings = tuple(str(name) for name in sandbox.get("env", []))
    timeout = float(config.get("command-timeout", policy.command_timeout))
    return ProjectPolicy(tuple(commands), timeout, allow, settings, pyproject)


def parse_endpoint(item: object, where: Path | str) -> tuple[str, int]:
    host, _, port = str(item).rpartition(":")
    if not host or not port.isdigit():
        raise PolicyError(f"{where}: sandbox.allow entry {item!r} is not host:port")
    return host.strip("[]"), int(port)


def database_endpoint(url: str | None) -> tuple[str, int] | None:
    """The host and port of a database URL on this machine's loopback, or None."""
    if not url or "://" not in url:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    host = parts.hostname or ""
    if port is None or host not in LOOPBACK:
        return None
    return host, port


def sqlite_folder(url: str | None) -> Path | None:
    """The folder of an SQLite database given by absolute path (`sqlite:////data/app.db`): the
    project's database on disk, which a sandboxed run must be able to write."""
    if not url or not url.startswith("sqlite") or ":///" not in url:
        return None
    path = url.split(":///", 1)[1].split("?", 1)[0]
    if not path.startswith("/") or path in ("/:memory:", "/"):
        return None
    return Path(path).parent
