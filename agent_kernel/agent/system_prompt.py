"""The system prompt: the agent definition plus live facts about the workspace."""

from __future__ import annotations

import platform
from importlib import metadata

from ..project.workspace import Workspace
from ..specs.memory import ProjectMemory
from ..specs.stages import StageRun
from .definition import AgentDefinition

REPORTED_PACKAGES = ("fastapi", "pydantic", "sqlalchemy", "starlette", "pyjwt", "pwdlib", "httpx")


def installed_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def build_system_prompt(
    agent: AgentDefinition,
    workspace: Workspace,
    memory: ProjectMemory | None = None,
    stage: StageRun | None = None,
) -> str:
    """The definition, the workspace's facts, then the project's memory and the stage's task."""
    versions = ", ".join(f"{name} {version}" for name, version in installed_versions().items())
    parts = [memory.render() if memory else "", stage.instructions() if stage else ""]
    extra = "".join(f"\n{part}" for part in parts if part)
    return (
        f"{agent.system_prompt}\n\n"
        "## This workspace (read live when the run started)\n\n"
        f"- Python {platform.python_version()}; installed: {versions}\n"
        "- Paths are relative to the workspace root; `run_tests` runs pytest there.\n"
        + _project_facts(workspace)
        + "- Files:\n"
        f"```\n{workspace.file_tree()}\n```\n" + extra
    )


def _project_facts(workspace: Workspace) -> str:
    """What a project copy says of itself (its app, layout, tests); nothing for the baseline."""
    facts = getattr(workspace, "prompt_facts", None)
    return "".join(f"- {line}\n" for line in facts()) if facts is not None else ""
