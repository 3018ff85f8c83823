"""What `workbench run` checks before it imports the agent's stack or makes a folder.

A bad model, a broken agent file or cassette, a missing key or a session that is not there
is refused in a fraction of a second, and a refused run leaves nothing behind: the SDK (over
a second to import) and the workspace wait until every one of these has passed.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RunInputs:
    """The run's inputs once checked: the cassette it replays and the workspace it uses."""

    cassette: Path | None
    workspace: Path | None


def check_run(args: argparse.Namespace) -> RunInputs:
    """Raise the error a bad input would raise later (same types, same messages)."""
    from ..agent.definition import load_agent
    from ..agent.models import check_model
    from ..agent.session import read_pointer
    from ..api.client import check_mode_inputs, choose_mode
    from ..settings import get_settings

    settings = get_settings()
    if args.model:
        check_model(args.model, gateway=bool(settings.anthropic_base_url))
    load_agent(args.agent)  # its model goes through the same check
    if args.mcp_config is not None:
        from ..mcp.config import load_mcp_config

        load_mcp_config(args.mcp_config)
    cassette, workspace = args.cassette, args.workspace
    if args.resume:
        pointer = read_pointer(args.resume)
        workspace = workspace or Path(pointer["workspace"])
        replayed = pointer.get("cassette")
        if cassette is None and replayed and Path(replayed).is_file():
            cassette = Path(replayed)
    chosen, _ = choose_mode(args.mode, settings)
    check_mode_inputs(chosen, cassette, settings)
    return RunInputs(cassette=Path(cassette) if cassette else None, workspace=workspace)
