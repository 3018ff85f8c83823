"""Agent definitions in Claude Code's subagent format: YAML front matter, then the prompt.

The same file drives Claude Code and the workbench, so the persona has one source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..documents import DocumentError, key_line, load_yaml, unknown_keys

REQUIRED = ("name", "description")
# Claude Code's documented subagent front matter (code.claude.com/docs/en/sub-agents): the
# file works in both, so a key outside this list is a typo, not a setting of somebody else's.
SUBAGENT_FIELDS = (
    "name",
    "description",
    "tools",
    "disallowedTools",
    "model",
    "permissionMode",
    "maxTurns",
    "skills",
    "mcpServers",
    "hooks",
    "memory",
    "background",
    "effort",
    "isolation",
    "initialPrompt",
    "color",
)


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
    for _, key in unknown_keys(_front_matter_schema(), meta)[:1]:
        line = key_line(header, (key,))
        at = f"line {line}: " if line else ""
        raise AgentDefinitionError(
            f"{where}: {at}unknown key `{key}` in the front matter (Claude Code's subagent "
            f"fields are {', '.join(SUBAGENT_FIELDS)})"
        )
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
    _check_model(model, where, key_line(header, ("model",)))
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


def _front_matter_schema() -> type:
    """A pydantic model of the front matter's keys (values are checked below, in words)."""
    from typing import Any

    from pydantic import ConfigDict, create_model

    fields: dict[str, Any] = {name: (Any, None) for name in SUBAGENT_FIELDS}
    return create_model("AgentFrontMatter", __config__=ConfigDict(extra="forbid"), **fields)


def _check_model(model: str, where: str, line: int | None) -> None:
    """The file's model goes through the check `--model` goes through (gateways aside)."""
    from ..settings import get_settings
    from .models import UnknownModelError, check_model

    try:
        check_model(model, gateway=bool(get_settings().anthropic_base_url))
    except UnknownModelError as exc:
        at = f"line {line}: " if line else ""
        raise AgentDefinitionError(f"{where}: {at}model: {exc}") from None
