"""Feature folders `specs/NNN-short-name/`: numbered atomically, found again by name.

Three digits, highest in `specs/` + 1, as Spec-Kit's own script numbers them; the folder is
created with `mkdir` (exclusive) under the lock the history's numbering uses, held in the
workspace's records folder (never in the project's own tree), so runs in other threads or
processes never get the same number.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..history.numbering import folder_lock
from ..project.workspace import META_DIR

SPECS_DIR = "specs"
_FEATURE = re.compile(r"^(\d{3,})-[a-z0-9][a-z0-9-]*$")
STOP_WORDS = frozenset(
    {"a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "at", "by", "with", "from"}
    | {"into", "as", "is", "are", "be", "it", "its", "this", "that", "add", "adds", "create"}
    | {"make", "build", "implement", "new", "i", "we", "want", "need", "please", "should"}
    | {"can", "let", "me", "our", "api", "endpoint", "endpoints", "route", "routes"}
    | {"so", "they", "them", "their", "but", "when", "then", "if", "which", "who", "all"}
)
MAX_WORDS = 3  # as Spec-Kit's create-new-feature script keeps


class FeatureError(ValueError):
    """No feature to work on, or a name that is not one."""


def short_name(description: str) -> str:
    """A few meaningful words of the description, lowercase and hyphenated."""
    words = re.findall(r"[a-z0-9]+", description.lower())
    kept = [w for w in words if w not in STOP_WORDS and len(w) > 1] or words
    return "-".join(list(dict.fromkeys(kept))[:MAX_WORDS]) or "feature"


def features(root: Path) -> list[str]:
    """The feature folders under `specs/`, oldest (lowest number) first."""
    base = Path(root) / SPECS_DIR
    if not base.is_dir():
        return []
    found = [e.name for e in os.scandir(base) if e.is_dir() and _FEATURE.match(e.name)]
    return sorted(found, key=lambda name: (int(_FEATURE.match(name).group(1)), name))  # type: ignore[union-attr]


def allocate_feature(root: Path, description: str) -> str:
    """Create `specs/NNN-<short name>/` for the next free number; its folder name."""
    base = Path(root) / SPECS_DIR
    name = short_name(description)
    base.mkdir(parents=True, exist_ok=True)
    with folder_lock(Path(root) / META_DIR / "specs"):
        taken = {int(_FEATURE.match(f).group(1)) for f in features(root)}  # type: ignore[union-attr]
        number = max(taken, default=0) + 1
        while True:
            folder = f"{number:03d}-{name}"
            try:
                (base / folder).mkdir()
            except FileExistsError:
                number += 1
                continue
            return folder


def find_feature(root: Path, wanted: str | None = None, session: str | None = None) -> str:
    """The feature named (`003`, `003-notes`, `notes`), else the session's, else the newest."""
    existing = features(root)
    if wanted:
        wanted = wanted.strip().strip("/").removeprefix(f"{SPECS_DIR}/")
        for name in existing:
            number = name.split("-", 1)[0]
            same_number = wanted.isdigit() and int(wanted) == int(number)
            if same_number or wanted in (name, name.split("-", 1)[1]):
                return name
        raise FeatureError(
            f"no feature {wanted!r} under {SPECS_DIR}/ (there are: {', '.join(existing) or 'none'})"
        )
    if session and session in existing:
        return session
    if not existing:
        raise FeatureError(
            f"no feature under {SPECS_DIR}/ yet: start one with /sp.specify <description>"
        )
    return existing[-1]
