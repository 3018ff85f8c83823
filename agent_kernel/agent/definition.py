"""Agent definitions in Claude Code's subagent format: YAML front matter, then the prompt.

The same file drives Claude Code and the workbench, so the persona has one source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..documents import DocumentError, load_yaml

REQUIRED = ("name", "description")


class AgentDefinitionError(ValueError):
    """A definition file that is missing, malformed or incomplete."""


@dataclass(frozen=True)
class AgentDefinition:
    name: str
    description: str
    system_prompt: str
    model: str = "sonnet"
    color: str | None = None
    tools: tuple[str, ...] = field(default_factory=tuple)
    path: Path | None = None
    disallowed_tools: tuple[str, ...] = field(default_factory=tuple)
    # Claude Code's `mcpServers`: names of configured servers, or inline {name: config} maps.
    mcp_servers: tuple[str | dict, ...] = field(default_factory=tuple)

    def resolved_model(self) -> str:
        from .models import resolve_model

        return resolve_model(self.model)


def default_agent_path() -> Path:
    return Path(__file__).resolve().parents[2] / ".claude" / "agents" / "fastapi-backend-agent.md"


def load_agent(path: Path | str | None = None) -> AgentDefinition:
    path = Path(path) if path else default_agent_path()
    if not path.is_file():
        raise AgentDefinitionError(f"agent definition not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentDefinitionError(f"{path.name}: cannot be read as UTF-8 text: {exc}") from exc
    return parse_agent(text, path)


def parse_agent(text: str, path: Path | None = None) -> AgentDefinition:
    where = path.name if path else "agent definition"
    text = text.removeprefix("\ufeff")  # editors on Windows save a byte-order mark
    if not text.startswith("---"):
        raise AgentDefinitionError(f"{where}: must start with a '---' YAML front matter block")
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise AgentDefinitionError(f"{where}: the front matter is not closed by '---'")
    header, body = parts[0][3:], parts[1].lstrip("-").strip()
    try:
        meta = load_yaml(header, where) or {}  # the header starts on the file's first line
    except DocumentError as exc:
        raise AgentDefinitionError(f"{exc} (in the front matter)") from exc
    if not isinstance(meta, dict):
        raise AgentDefinitionError(f"{where}: front matter must be a mapping")
    missing = [key for key in REQUIRED if not str(meta.get(key) or "").strip()]
    if missing:
        raise AgentDefinitionError(f"{where}: missing {', '.join(missing)} in the front matter")
    if not body:
        raise AgentDefinitionError(f"{where}: the body (the system prompt) is empty")
    tools = _names(meta.get("tools"), "tools", where)
    disallowed = _names(meta.get("disallowedTools"), "disallowedTools", where)
    servers = meta.get("mcpServers") or []
    if not isinstance(servers, list) or not all(isinstance(s, str | dict) for s in servers):
        raise AgentDefinitionError(
            f"{where}: `mcpServers` must be a list of server names or {{name: config}} maps"
        )
    from .tool_names import ToolNameError, tool_policy

    try:  # an unknown name fails here, when the file is loaded, not in the middle of a run
        tool_policy(tools, where)
        tool_policy(disallowed, where)
    except ToolNameError as exc:
        raise AgentDefinitionError(str(exc)) from None
    model = str(meta.get("model") or "sonnet").strip()
    if model == "inherit":
        model = "sonnet"
    return AgentDefinition(
        name=str(meta["name"]).strip(),
        description=str(meta["description"]).strip(),
        system_prompt=body,
        model=model,
        color=meta.get("color"),
        tools=tuple(tools),
        path=path,
        disallowed_tools=tuple(disallowed),
        mcp_servers=tuple(servers),
    )


def _names(value: object, field_name: str, where: str) -> list[str]:
    """A tool list as Claude Code writes it: a comma-separated string or a YAML list."""
    value = value or []
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise AgentDefinitionError(
            f"{where}: `{field_name}` must be a list or a comma-separated string"
        )
    return [t.strip() for t in value]
