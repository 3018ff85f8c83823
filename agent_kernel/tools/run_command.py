"""`run_command`: an allowlisted CLI command in the workspace, as an argv, never a shell.

The agent's sources are MCP tools and CLI commands, not memory; this is the CLI half. A
command is an argv whose leading words must match an entry of the allowlist (the
`[tool.workbench] commands` of the user's project as it is on disk, never of the workspace,
else the defaults); anything else is refused with the list, so the model can pick an
allowed command, and so is an option that runs or writes elsewhere (`command_options`). It
runs in the OS sandbox (`project.containment`), in its own process group, with a time limit,
an output cap and an environment built from an allowlist.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..project.containment import SandboxUnavailable, project_policy, run_contained
from ..project.project_policy import DEFAULT_ALLOWLIST, DEFAULT_TIMEOUT, PolicyError
from ..project.project_policy import words as _words
from .base import OUTPUT_CAP, ToolContext, ToolError, cap_output
from .command_options import refused_option

if TYPE_CHECKING:
    from ..project.workspace import Workspace

__all__ = ["DEFAULT_ALLOWLIST", "DEFAULT_TIMEOUT", "RunCommandTool", "allowed", "project_allowlist"]

ARG_CAP = 64


def project_allowlist(workspace: Workspace) -> tuple[tuple[tuple[str, ...], ...], float]:
    """The allowlist and timeout of the user's project as it is on disk, or the defaults.

    `[tool.workbench] commands = [...]` replaces the defaults, `extra-commands` adds to them,
    `command-timeout` sets the limit in seconds; read from the user's tree, never from the
    workspace the agent edits.
    """
    try:
        rules = project_policy(workspace)
    except PolicyError as exc:
        raise ToolError(str(exc)) from exc
    return rules.commands, rules.command_timeout


def allowed(argv: Sequence[str], allowlist: Sequence[Sequence[str]]) -> bool:
    return any(tuple(argv[: len(entry)]) == tuple(entry) for entry in allowlist if entry)


def _executable(word: str, python: str | None = None) -> str | None:
    """`python` is the project's interpreter (the workbench's when it has none); other
    commands come from that interpreter's bin dir first."""
    python = python or sys.executable
    if word in ("python", "python3"):
        return python
    here = Path(python).parent / word
    if here.is_file():
        return str(here)
    return shutil.which(word)


class RunCommandTool:
    """`run_command`: pip, ruff, alembic, pytest, git, route listing: whatever is allowed."""

    name = "run_command"

    def __init__(
        self,
        allowlist: Sequence[str | Sequence[str]] | None = None,
        *,
        timeout: float | None = None,
        cap: int = OUTPUT_CAP,
    ) -> None:
        self.allowlist = None if allowlist is None else tuple(_words(e) for e in allowlist)
        self.timeout = timeout
        self.cap = cap

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": (
                "Run a command-line tool in the workspace, to read facts from the installed "
                "environment or the project instead of recalling them: e.g. "
                '["python", "-m", "pip", "show", "fastapi"] for an installed version, '
                '["ruff", "check", "."], ["git", "diff"], ["python", "-m", '
                '"agent_kernel.project.routes"] for the app\'s routes. The command is an '
                "argv list (no shell: no pipes, globs or redirection) and must start with "
                "an allowed command; a refused one is answered with the allowlist. Runs "
                "with a time limit and without API keys or other secrets in the environment."
            ),
            "input_schema": {
                "type": "object",
                "properties": {
                    "argv": {
                        "type": "array",
                        "items": {"type": "string"},
                        "minItems": 1,
                        "description": "The command and its arguments, one word each.",
                    }
                },
                "required": ["argv"],
                "additionalProperties": False,
            },
        }

    def _policy(self, workspace: Workspace) -> tuple[tuple[tuple[str, ...], ...], float]:
        allowlist, timeout = project_allowlist(workspace)
        if self.allowlist is not None:
            allowlist = self.allowlist
        return tuple(allowlist), self.timeout if self.timeout is not None else timeout

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        argv = tool_input.get("argv")
        if isinstance(argv, str):
            raise ToolError(
                "`argv` must be a list of words, not a shell string: e.g. "
                '["python", "-m", "pip", "show", "fastapi"]'
            )
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise ToolError("`argv` must be a non-empty list of strings")
        if len(argv) > ARG_CAP or any("\x00" in a for a in argv):
            raise ToolError(f"`argv` must hold at most {ARG_CAP} words without NUL characters")
        allowlist, timeout = self._policy(ctx.workspace)
        if not allowed(argv, allowlist):
            listed = "; ".join(" ".join(entry) for entry in allowlist) or "(nothing)"
            raise ToolError(
                f"refused: {shlex.join(argv)!r} is not on this project's command allowlist. "
                f"Allowed commands (an argv must start with one): {listed}. The project "
                "sets the list in pyproject.toml, [tool.workbench] commands."
            )
        option = refused_option(argv, ctx.workspace.root)
        if option is not None:
            raise ToolError(
                f"refused: {option} is not allowed in run_command: it runs another program "
                "or reads or writes outside the workspace. Run the command without it."
            )
        python = getattr(ctx.workspace, "python", None)
        executable = _executable(argv[0], python)
        if executable is None:
            raise ToolError(f"{argv[0]!r} is allowed but not installed (not found on PATH)")
        root = str(ctx.workspace.root)
        try:
            run = run_contained(
                ctx.workspace,
                [executable, *argv[1:]],
                env={"PYTHONPATH": root},
                timeout=timeout,
                cancel=ctx.stop_event,
                hide_env_files=True,  # `grep -r SECRET .` finds no setting's value
            )
        except SandboxUnavailable as exc:
            raise ToolError(f"refused: {exc}") from exc
        except OSError as exc:
            raise ToolError(f"{argv[0]!r} could not be started: {exc}") from exc
        shown = shlex.join(argv)
        output = _local_paths(run.output, root, python)
        if run.cancelled:
            return f"$ {shown}\n[stopped: the run was stopped; the command was killed]"
        if run.timed_out:
            raise ToolError(
                f"$ {shown}\ntimed out after {timeout:g}s; the command's process group was "
                f"killed.\n{cap_output(output, self.cap)}"
            )
        return f"$ {shown}\n[exit code {run.exit_code}]\n{cap_output(output, self.cap)}"


def _local_paths(text: str, root: str, python: str | None = None) -> str:
    """The workspace as `.` and the interpreter's environment as `<env>`: shorter for the
    model, and no machine path in a cassette, a PHR or a notebook output."""
    text = text.replace(root, ".")
    if python:
        text = text.replace(str(Path(python).parent.parent), "<env>")
    return text.replace(sys.prefix, "<env>")
