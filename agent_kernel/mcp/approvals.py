"""Approval of a project's MCP servers, as Claude Code asks for it: once per server and config.

A `.mcp.json` that a project ships (or that an agent wrote into it) can start any program, so
the first time one of its servers would start, the user approves it (`--approve-mcp NAME`,
`Workbench(approve_mcp=[...])`, the CLI's prompt). The approval is remembered per project and
per digest of the server's configuration: a changed command, argument or URL asks again.
Servers the user passes themselves (`--mcp-config`, `mcp_servers=`) need no approval.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from ..settings import state_dir
from .config import ServerConfig

APPROVALS_FILE = "mcp-approvals.json"


def config_digest(config: ServerConfig) -> str:
    """What the server is (command, arguments, folder, URL, the names of its variables and
    headers), never the values those hold."""
    shape = {
        "transport": config.transport,
        "command": config.command,
        "args": list(config.args),
        "cwd": config.cwd,
        "url": config.url,
        "env": sorted(config.env),
        "headers": sorted(config.headers),
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


def _path() -> Path:
    return state_dir() / APPROVALS_FILE


def _load() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_approved(project: Path, config: ServerConfig) -> bool:
    return _load().get(str(project), {}).get(config.name) == config_digest(config)


def approve(project: Path, config: ServerConfig) -> None:
    """Remember that the user approved this server of this project, as configured now."""
    data = _load()
    data.setdefault(str(project), {})[config.name] = config_digest(config)
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".approvals-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    try:
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def unapproved_notice(project: Path, config: ServerConfig) -> str:
    return (
        f"MCP server {config.describe()} from {project / '.mcp.json'} was not started: the "
        f"project's servers need your approval first (--approve-mcp {config.name}, or "
        f"Workbench(approve_mcp=[{config.name!r}])); it is remembered until its config changes"
    )
