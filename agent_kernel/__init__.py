"""agent_kernel: run the FastAPI backend agent, check what it built, keep its history.

Public names load lazily, so `import agent_kernel` (and `workbench --help`) stay fast and the
SDK is imported only when a run needs it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Workbench": ".workbench",
    "RunResult": ".result",
    "Budget": ".budget",
    "ExecutionContract": ".contract",
    "AgentDefinition": ".agent_definition",
    "load_agent": ".agent_definition",
    "Workspace": ".workspace",
    "make_client": ".client",
    "ModeError": ".client",
    "run_agent": ".runner",
    "load_cassette": ".cassette",
    "CassetteError": ".cassette",
    "CassetteMismatch": ".replay",
    "ReplayTransport": ".replay",
    "AppLoadError": ".live_check",
    "open_client": ".live_check",
    "close_client": ".live_check",
    "resolve_model": ".models",
    "write_phr": ".phr",
    "write_adr": ".adr",
    "redact": ".redaction",
    "load_trajectory": ".trajectory",
}

__all__ = [*sorted(_EXPORTS), "load_ipython_extension"]

if TYPE_CHECKING:
    from .agent_definition import AgentDefinition as AgentDefinition
    from .agent_definition import load_agent as load_agent
    from .budget import Budget as Budget
    from .cassette import CassetteError as CassetteError
    from .cassette import load_cassette as load_cassette
    from .client import ModeError as ModeError
    from .client import make_client as make_client
    from .contract import ExecutionContract as ExecutionContract
    from .live_check import AppLoadError as AppLoadError
    from .live_check import close_client as close_client
    from .live_check import open_client as open_client
    from .result import RunResult as RunResult
    from .trajectory import load_trajectory as load_trajectory
    from .workbench import Workbench as Workbench
    from .workspace import Workspace as Workspace


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agent_kernel' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext agent_kernel` registers the `%%agent` cell magic."""
    from .magic import register as register

    register(ipython)
