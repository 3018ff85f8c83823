"""`%%agent`: the cell body is the prompt, run on the notebook's current Workbench.

    %load_ext agent_kernel

    %%agent --mode replay --cassette notebooks/cassettes/items.yaml
    Add GET /items/{item_id} returning 404 for a missing item.

The current Workbench is the user's variable `wb` when it holds one; otherwise one is
created (with the options given) and stored as `wb`, so the next cells can check it
(`wb.client()`, `wb.diff()`). `--mode` and `--cassette` change the current workbench for
this and later runs; a different `--workspace`, `--project` or `--name` makes a new workbench
(`--project DIR` works on a private copy of an existing FastAPI project).
"""

from __future__ import annotations

import shlex
from typing import Any

VARIABLE = "wb"
USAGE = (
    "usage: %%agent [--mode live|record|replay|auto] [--workspace DIR] [--project DIR] "
    "[--name NAME] [--cassette FILE]\n<prompt on the following lines>"
)


def parse_options(line: str) -> dict[str, str]:
    """`--mode replay --workspace=dir` -> {"mode": "replay", "workspace": "dir"}."""
    import argparse

    parser = argparse.ArgumentParser(prog="%%agent", add_help=False, exit_on_error=False)
    for option in ("mode", "workspace", "project", "name", "cassette"):
        parser.add_argument(f"--{option}")
    try:
        parsed, extra = parser.parse_known_args(shlex.split(line or ""))
    except (argparse.ArgumentError, ValueError, SystemExit) as exc:
        raise ValueError(f"bad options {line!r} ({exc}); {USAGE}") from None
    if extra:
        raise ValueError(f"unknown option(s) {' '.join(extra)}; {USAGE}")
    return {key: value for key, value in vars(parsed).items() if value is not None}


def current_workbench(namespace: dict[str, Any], options: dict[str, str]) -> Any:
    """The workbench this cell runs on: `wb` (adjusted by the options) or a new one."""
    from pathlib import Path

    from ..workbench import Workbench
    from .workbench import NotebookWorkbench

    existing = namespace.get(VARIABLE)
    if isinstance(existing, Workbench):
        same_workspace = "workspace" not in options or (
            Path(options["workspace"]).expanduser().resolve() == existing.workspace.root
        )
        same_name = "name" not in options or options["name"] == existing.name
        source = getattr(existing.workspace, "source", None)
        same_project = "project" not in options or (
            source is not None and Path(options["project"]).expanduser().resolve() == source
        )
        if same_workspace and same_name and same_project:
            if "mode" in options:
                existing.mode = options["mode"].lower()
                existing.handle = None
            if "cassette" in options:
                existing.cassette = Path(options["cassette"])
                existing.handle = None
            return existing
    wb = NotebookWorkbench(
        options.get("name"),
        workspace=options.get("workspace"),
        mode=options.get("mode", "auto"),
        cassette=options.get("cassette"),
        project=options.get("project"),
    )
    namespace[VARIABLE] = wb
    return wb


def agent_cell(shell: Any, line: str, cell: str) -> Any:
    """Run the cell body as a prompt; the run shows itself, the result is `wb.last_result`."""
    try:
        options = parse_options(line)
    except ValueError as exc:
        print(f"%%agent: {exc}")
        return None
    prompt = (cell or "").strip()
    if not prompt:
        print(f"%%agent: the cell is empty; write the prompt below the magic line.\n{USAGE}")
        return None
    wb = current_workbench(shell.user_ns, options)
    try:
        wb.run(prompt)
    except Exception as exc:
        print(f"%%agent: the run could not start: {type(exc).__name__}: {exc}")
    return None


def register(ipython: Any) -> None:
    """Register `%%agent` on an IPython shell (`%load_ext agent_kernel` calls this)."""

    def agent(line: str, cell: str) -> Any:
        return agent_cell(ipython, line, cell)

    agent.__doc__ = __doc__
    ipython.register_magic_function(agent, magic_kind="cell", magic_name="agent")
