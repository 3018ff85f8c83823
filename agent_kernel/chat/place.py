"""Where a chat works: the FastAPI project its file sits in, or the lessons' baseline.

A chat file inside a FastAPI project (the nearest folder above it, not itself a package,
with a `pyproject.toml` or one of the app conventions that discovery accepts) works on a
private copy of that project, under the own-project rules: nothing is written back until
`/apply` or `/branch`. A chat in the workbench's own tree (its `notebooks/`, say) works on the
baseline, as the lessons do; so does a chat that no project contains, and it says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..project.discovery import CONVENTIONS, DiscoveryError, discover
from ..workbench import REPO_ROOT

MARKERS = ("pyproject.toml", *CONVENTIONS)


@dataclass(frozen=True)
class Place:
    """The project a chat works on (None: the baseline), and a sentence saying which."""

    project: Path | None
    description: str


def find_place(chat_dir: Path | str) -> Place:
    """The nearest enclosing FastAPI project of `chat_dir`, else the baseline."""
    start = Path(chat_dir).expanduser().resolve()
    repo = REPO_ROOT.resolve()
    skipped: list[str] = []
    for folder in (start, *start.parents):
        if folder == repo:
            return Place(None, "the workbench's baseline app (`sandbox_app/`), in a private copy")
        if (folder / "__init__.py").is_file():  # a package inside a project, not its root
            continue
        if not any((folder / marker).is_file() for marker in MARKERS):
            continue
        try:
            info = discover(folder)
        except DiscoveryError as exc:
            skipped.append(f"{folder}: {exc}")
            continue
        return Place(folder, f"the project `{folder}` (app `{info.app_ref}`), in a private copy")
    note = "no FastAPI project contains this chat"
    if skipped:
        note += " (" + "; ".join(skipped[:2]) + ")"
    return Place(None, f"the workbench's baseline app, in a private copy: {note}")
