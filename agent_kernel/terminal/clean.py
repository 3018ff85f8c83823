"""`workbench clean [--dry-run]`: the workbench's leftover worktrees and temp workspaces."""

from __future__ import annotations


def clean_command(*, dry_run: bool = False) -> int:
    """List every project copy and temp workspace the workbench made; remove the stale ones
    (those whose process is gone, never one a running workbench uses or a named one)."""
    from ..project.leftovers import clean

    found = clean(dry_run=dry_run)
    if not found:
        print("nothing to clean: no workbench worktrees or temp workspaces")
        return 0
    for leftover in found:
        verb = "kept" if not leftover.removable else ("would remove" if dry_run else "removed")
        print(f"{verb}: {leftover.describe()}")
    return 0
