"""agent_kernel: run the FastAPI backend agent, check what it built, keep its history.

Public names load lazily, so `import agent_kernel` (and `workbench --help`) stay fast and the
SDK is imported only when a run needs it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Workbench": ".notebook.workbench:NotebookWorkbench",
    "RunResult": ".agent.result",
    "Budget": ".agent.budget",
    "ExecutionContract": ".contract",
    "AgentDefinition": ".agent.definition",
    "load_agent": ".agent.definition",
    "Workspace": ".project.workspace",
    "make_client": ".api.client",
    "ModeError": ".api.client",
    "run_agent": ".agent.runner",
    "load_cassette": ".api.cassette",
    "CassetteError": ".api.cassette",
    "CassetteMismatch": ".api.replay",
    "ReplayTransport": ".api.replay",
    "AppLoadError": ".project.live_check",
    "open_client": ".project.live_check",
    "close_client": ".project.live_check",
    "resolve_model": ".agent.models",
    "write_phr": ".history.phr",
    "write_adr": ".history.adr",
    "redact": ".history.redaction",
    "load_trajectory": ".agent.trajectory",
}

__all__ = [*sorted(_EXPORTS), "load_ipython_extension"]

if TYPE_CHECKING:
    from .agent.budget import Budget as Budget
    from .agent.definition import AgentDefinition as AgentDefinition
    from .agent.definition import load_agent as load_agent
    from .agent.result import RunResult as RunResult
    from .agent.trajectory import load_trajectory as load_trajectory
    from .api.cassette import CassetteError as CassetteError
    from .api.cassette import load_cassette as load_cassette
    from .api.client import ModeError as ModeError
    from .api.client import make_client as make_client
    from .contract import ExecutionContract as ExecutionContract
    from .notebook.workbench import NotebookWorkbench as Workbench  # noqa: F401
    from .project.live_check import AppLoadError as AppLoadError
    from .project.live_check import close_client as close_client
    from .project.live_check import open_client as open_client
    from .project.workspace import Workspace as Workspace


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agent_kernel' has no attribute {name!r}")
    module, _, attribute = module.partition(":")
    value = getattr(import_module(module, __name__), attribute or name)
    globals()[name] = value
    return value


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext agent_kernel` registers the `%%agent` cell magic."""
    from .notebook.magic import register as register

    register(ipython)
