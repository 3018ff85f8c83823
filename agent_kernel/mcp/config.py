"""MCP server configuration in Claude Code's `.mcp.json` format.

`{"mcpServers": {name: {"command", "args", "env"} | {"type": "http", "url", "headers"}}}`.
As in Claude Code, `${VAR}` and `${VAR:-default}` expand in `command`, `args`, `env`, `url`
and `headers`; a variable that is unset and has no default is a configuration error, named,
rather than a server started with a literal `${VAR}`. Every value that came from the
environment into `env` or `headers`, and any secret-named variable (`API_TOKEN`, `*_KEY`)
anywhere else (a URL's query, an argument), is registered with the redactor, so a token
never lands in a cassette, a PHR, a trajectory, a log or a notebook output.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..history.redaction import is_secret_name, register_secret

VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
NAME = re.compile(r"^[A-Za-z0-9_-]+$")
STDIO_TYPES = ("stdio", None)
HTTP_TYPES = ("http", "streamable-http", "streamable_http")


class McpConfigError(ValueError):
    """A `.mcp.json` (or inline server map) that cannot be used as it stands."""


@dataclass(frozen=True)
class ServerConfig:
    """One MCP server: a command to start (stdio) or a URL to connect to (streamable HTTP)."""

    name: str
    transport: str  # "stdio" | "http"
    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    label: str = ""  # how messages name it when its command is a wrapper (the sandbox's)

    def describe(self) -> str:
        """For messages and the panel: never the env or the headers (they hold tokens)."""
        if self.label:
            return self.label
        if self.transport == "http":
            return f"{self.name} (streamable HTTP at {self.url})"
        return f"{self.name} (stdio: {Path(self.command).name} {' '.join(self.args)})".rstrip()


def expand_vars(
    text: str, environ: Mapping[str, str] | None = None, *, where: str = "", secret: bool = False
) -> str:
    """`${VAR}` and `${VAR:-default}` replaced from `environ`; unset without default raises."""
    environ = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = environ.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise McpConfigError(
                    f"{where or 'MCP config'}: environment variable {name} is not set and "
                    f"has no default (write ${{{name}:-default}} to give one)"
                )
            return default
        if secret or is_secret_name(name):  # env and headers: all; elsewhere: KEY, TOKEN, ...
            register_secret(value)
        return value

    return VAR.sub(replace, text)


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise McpConfigError(f"{what} must be a list of strings")
    return list(value)


def _mapping(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise McpConfigError(f"{what} must be a mapping of strings to strings")
    return dict(value)


def parse_server(
    name: str,
    spec: Any,
    *,
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServerConfig:
    """One entry of `mcpServers`, expanded and checked."""
    where = f"MCP server {name!r}"
    if not isinstance(name, str) or not NAME.match(name):
        raise McpConfigError(f"{where}: names may use letters, digits, '-' and '_' only")
    if not isinstance(spec, dict):
        raise McpConfigError(f"{where}: must be an object with `command` or `url`")
    kind = spec.get("type")
    secret_env = {
        key: expand_vars(value, environ, where=f"{where} env.{key}", secret=True)
        for key, value in _mapping(spec.get("env"), f"{where}: `env`").items()
    }
    if kind in HTTP_TYPES or (kind is None and "url" in spec and "command" not in spec):
        url = spec.get("url")
        if not isinstance(url, str) or not url.strip():
            raise McpConfigError(f"{where}: an HTTP server needs a `url`")
        headers = {
            key: expand_vars(value, environ, where=f"{where} headers.{key}", secret=True)
            for key, value in _mapping(spec.get("headers"), f"{where}: `headers`").items()
        }
        return ServerConfig(
            name=name,
            transport="http",
            url=expand_vars(url, environ, where=f"{where} url"),
            headers=headers,
        )
    if kind == "sse":
        raise McpConfigError(f"{where}: the SSE transport is deprecated; use `type: http`")
    if kind not in STDIO_TYPES:
        raise McpConfigError(f"{where}: unknown `type` {kind!r} (stdio or http)")
    command = spec.get("command")
    if not isinstance(command, str) or not command.strip():
        raise McpConfigError(f"{where}: a stdio server needs a `command`")
    args = [
        expand_vars(arg, environ, where=f"{where} args")
        for arg in _strings(spec.get("args"), f"{where}: `args`")
    ]
    cwd = spec.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise McpConfigError(f"{where}: `cwd` must be a string")
    return ServerConfig(
        name=name,
        transport="stdio",
        command=expand_vars(command, environ, where=f"{where} command"),
        args=tuple(args),
        env=secret_env,
        cwd=cwd or (str(base_dir) if base_dir else None),
    )


def parse_servers(
    servers: Mapping[str, Any] | None,
    *,
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, ServerConfig]:
    """`{name: spec}` (the value of `mcpServers`, or already parsed configs) -> configs."""
    parsed: dict[str, ServerConfig] = {}
    for name, spec in (servers or {}).items():
        if isinstance(spec, ServerConfig):
            parsed[name] = spec
        else:
            parsed[name] = parse_server(name, spec, base_dir=base_dir, environ=environ)
    return parsed


def load_mcp_config(
    path: Path | str, *, environ: Mapping[str, str] | None = None
) -> dict[str, ServerConfig]:
    """The servers of a `.mcp.json`; stdio servers start in the file's folder by default."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise McpConfigError(f"MCP config not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise McpConfigError(f"{path.name}: not a readable JSON file: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers", {}), dict):
        raise McpConfigError(f'{path.name}: expected {{"mcpServers": {{name: server, ...}}}}')
    return parse_servers(
        data.get("mcpServers") or {}, base_dir=path.resolve().parent, environ=environ
    )
