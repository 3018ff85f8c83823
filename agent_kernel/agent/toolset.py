"""The tools of one run, from the agent file's `tools:` list in Claude Code's names.

One agent file serves Claude Code and the workbench, so `tools:` names what Claude Code
understands, and the workbench maps each name to its own implementation:

- `Read`, `Edit`, `Write`, `MultiEdit`, `Glob` -> `str_replace_based_edit_tool` (view, create,
  str_replace, insert; a folder's `view` lists it), `Bash` and `Grep` -> `run_command` (the
  allowlisted argv commands; `grep` is on the default list), `AskUserQuestion` -> `ask_user`;
- `mcp__workbench__<tool>` (what `workbench mcp` serves Claude Code) -> the native tool:
  `run_tests`, `inspect_api`, and `validate_contract` -> `submit_result`; `live_check`,
  `record_phr`, `suggest_adr` and `create_adr` are what the workbench itself does around a run
  (checks, the PHR, the ADR suggestion), so they add no tool here; `mcp__workbench__*` is all;
- `mcp__<server>__<tool>`, `mcp__<server>__*` or `mcp__<server>`: tools of a configured MCP
  server; servers no listed name can use are not started;
- the workbench's own names (`run_tests`, ...) are accepted as they are.

Anything else is an `AgentDefinitionError` that names the accepted names. No `tools:` at all
means every tool, as in Claude Code. `submit_result` is always offered: it is how a run ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..mcp.config import McpConfigError, ServerConfig, load_mcp_config, parse_servers
from ..mcp.connection import McpHub
from ..project.workspace import Workspace
from ..tools import default_tools
from ..tools.base import Tool
from ..tools.mcp_tool import UnavailableMcpServer, mcp_tool_name, mcp_tools
from ..tools.run_command import RunCommandTool
from .definition import AgentDefinition
from .tool_names import NATIVE_ORDER, WORKBENCH_SERVER, ToolPolicy, tool_policy

PROJECT_MCP_CONFIG = ".mcp.json"


def agent_policy(agent: AgentDefinition) -> ToolPolicy:
    where = agent.path.name if agent.path else agent.name
    policy = tool_policy(agent.tools, where)
    denied = tool_policy(agent.disallowed_tools, where) if agent.disallowed_tools else None
    if denied is not None:
        policy.native -= denied.native
        policy.mcp -= denied.mcp
    if policy.everything:
        policy.native = set(NATIVE_ORDER) - (denied.native if denied else set())
    policy.native.add("submit_result")
    return policy


def project_servers(workspace: Workspace) -> dict[str, ServerConfig]:
    """The servers of the user's project's `.mcp.json` (read from the user's tree, never the
    workspace), each to start in the workspace's copy of the folder it names."""
    if workspace.source is None:
        return {}
    config = Path(workspace.source) / PROJECT_MCP_CONFIG
    if not config.is_file():
        return {}
    servers = load_mcp_config(config)
    for name, server in servers.items():
        if server.transport == "stdio" and server.cwd:
            cwd = Path(server.cwd)
            with contextlib.suppress(ValueError):
                cwd = workspace.root / cwd.relative_to(Path(workspace.source).resolve())
            servers[name] = dataclasses.replace(server, cwd=str(cwd))
    return servers


def configured_servers(
    agent: AgentDefinition,
    workspace: Workspace,
    servers: dict[str, Any] | str | Path | None = None,
) -> dict[str, ServerConfig]:
    """The project's `.mcp.json`, then `servers` (a map or a file), then the agent's inline ones.

    The agent file's `mcpServers` names, when given, narrow the configured servers to those.
    """
    found: dict[str, ServerConfig] = dict(project_servers(workspace))
    if isinstance(servers, str | Path):
        found.update(load_mcp_config(servers))
    elif servers:
        found.update(parse_servers(servers, base_dir=workspace.root))
    named = [s for s in agent.mcp_servers if isinstance(s, str)]
    inline: dict[str, ServerConfig] = {}
    for item in agent.mcp_servers:
        if isinstance(item, dict):
            inline.update(parse_servers(item, base_dir=workspace.root))
    if named:
        missing = [name for name in named if name not in found and name != WORKBENCH_SERVER]
        if missing:
            raise McpConfigError(
                f"the agent file's mcpServers names {', '.join(missing)}, which no "
                ".mcp.json or mcp_servers setting configures"
            )
        found = {name: config for name, config in found.items() if name in named}
    found.update(inline)
    found.pop(WORKBENCH_SERVER, None)  # its tools are the workbench's own, run natively
    return found


class Toolset:
    """The tools of one run and the MCP servers behind them; close it when the run ends."""

    def __init__(
        self,
        tools: list[Tool],
        hub: McpHub | None,
        warnings: list[str],
        notes: list[str] | None = None,
        stack: contextlib.ExitStack | None = None,
    ) -> None:
        self.tools = tools
        self.hub = hub
        self.warnings = warnings
        self.notes = notes or []  # servers configured but left unstarted, and why
        self.stack = stack or contextlib.ExitStack()  # the project servers' sandboxes

    def close(self) -> None:
        if self.hub is not None:
            self.hub.close()
        self.stack.close()

    def __enter__(self) -> Toolset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_toolset(
    agent: AgentDefinition,
    workspace: Workspace,
    servers: dict[str, Any] | str | Path | None = None,
    *,
    call_timeout: float | None = None,
    connect_timeout: float | None = None,
    approve_mcp: McpApprover | None = None,
) -> Toolset:
    """Native tools the policy allows (in their fixed order), then the MCP servers' tools.

    A server that will not start is a warning, and each of its tools the agent file names
    answers with the reason; the run goes on with the rest. A server of the project's own
    `.mcp.json` starts only once the user approved it (`approve_mcp` asks, or names the
    servers approved now), and a stdio one starts in the workspace's OS sandbox.
    """
    policy = agent_policy(agent)
    native = {tool.name: tool for tool in default_tools()}
    native["run_command"] = RunCommandTool()
    tools: list[Tool] = [native[name] for name in NATIVE_ORDER if name in policy.native]
    warnings: list[str] = []
    try:
        configs = configured_servers(agent, workspace, servers)
    except McpConfigError as exc:
        return Toolset(tools, None, [f"MCP servers not started: {exc}"])
    wanted = (
        configs
        if policy.everything
        else {name: config for name, config in configs.items() if name in policy.servers()}
    )
    notes = [
        f"MCP server {name} is configured but not started: the agent file's tools: line "
        f"allows none of its tools (add mcp__{name}__* to use them)"
        for name in sorted(set(configs) - set(wanted))
    ]
    stack = contextlib.ExitStack()
    try:
        wanted = _contain_project_servers(workspace, wanted, approve_mcp, warnings, stack)
    except Exception:
        stack.close()
        raise
    if not wanted:
        return Toolset(tools, None, warnings, notes, stack)
    options: dict[str, float] = {}
    if call_timeout is not None:
        options["call_timeout"] = call_timeout
    if connect_timeout is not None:
        options["connect_timeout"] = connect_timeout
    hub = McpHub(wanted, **options).start()
    for name, reason in hub.failures.items():
        warnings.append(reason)
        for server, tool in sorted(policy.mcp):
            if server == name and tool != "*":
                tools.append(UnavailableMcpServer(mcp_tool_name(server, tool), reason))
    tools += [
        tool for tool in mcp_tools(hub) if policy.allows_mcp(tool.remote.server, tool.remote.name)
    ]
    return Toolset(tools, hub, warnings, notes, stack)


McpApprover = Callable[[ServerConfig], bool] | Iterable[str]
"""Names of the project servers approved now, or a question put to the user for each."""


def _contain_project_servers(
    workspace: Workspace,
    wanted: dict[str, ServerConfig],
    approve_mcp: McpApprover | None,
    warnings: list[str],
    stack: contextlib.ExitStack,
) -> dict[str, ServerConfig]:
    """The wanted servers with the project's own approved (or left out) and sandboxed."""
    from ..mcp.approvals import approve, is_approved, unapproved_notice
    from ..project.containment import SandboxUnavailable, contained

    ours = project_servers(workspace)
    source = Path(workspace.source) if workspace.source is not None else None
    kept: dict[str, ServerConfig] = {}
    for name, config in wanted.items():
        if name not in ours or ours[name] != config or source is None:
            kept[name] = config  # the user's own servers: trusted as given
            continue
        if not is_approved(source, config):
            if callable(approve_mcp):
                yes = bool(approve_mcp(config))
            else:
                yes = name in set(approve_mcp or ())
            if not yes:
                warnings.append(unapproved_notice(source, config))
                continue
            approve(source, config)
        if config.transport != "stdio":
            kept[name] = config
            continue
        try:
            launch = stack.enter_context(contained(workspace, config.env))
        except SandboxUnavailable as exc:
            warnings.append(f"MCP server {config.describe()} was not started: {exc}")
            continue
        if launch is None:  # the sandbox is off
            kept[name] = config
            continue
        cwd = config.cwd or str(workspace.root)
        argv = launch.command([config.command, *config.args], cwd=cwd)
        kept[name] = dataclasses.replace(
            config,
            command=argv[0],
            args=tuple(argv[1:]),
            env=launch.env,
            cwd=cwd,
            label=f"{config.describe()} [sandboxed]",
        )
    return kept
