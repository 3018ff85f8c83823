"""`workbench inspect --project DIR`: what the workbench finds in a project, or what is missing."""

from __future__ import annotations

import sys
from pathlib import Path


def inspect_project(project: Path) -> int:
    """Print the app, tests, settings, database (password masked), files and git state."""
    from ..project.discovery import DiscoveryError, discover

    try:
        info = discover(project)
    except DiscoveryError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 1
    print(info.describe())
    return 0
