"""An evaluation suite: one folder per task, each with a prompt and hidden checks.

A task folder holds `task.yaml` (id, capability, title, prompt, tags), `hidden/` (pytest
files named `test_functional_*.py` and `test_security_*.py`, which the agent never sees)
and `sessions/` (scripted sessions replayed offline, `reference.yaml` at least). A
`conftest_hidden.py` at the suite root, if present, is the shared conftest of every task's
hidden checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..documents import DocumentError, load_yaml

TASK_FILE = "task.yaml"
HIDDEN_DIR = "hidden"
SESSIONS_DIR = "sessions"
SHARED_CONFTEST = "conftest_hidden.py"
DEFAULT_SESSION = "reference"
CHECK_KINDS = ("functional", "security")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")


class SuiteError(ValueError):
    """A suite or task folder that cannot be used as it is."""


@dataclass(frozen=True)
class Task:
    """One evaluation task, as its folder describes it."""

    id: str
    capability: str
    title: str
    prompt: str
    path: Path
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def hidden_dir(self) -> Path:
        return self.path / HIDDEN_DIR

    def hidden_files(self, kind: str | None = None) -> list[Path]:
        """The hidden check files, all or those of one kind (functional or security)."""
        kinds = (kind,) if kind else CHECK_KINDS
        files: list[Path] = []
        for name in kinds:
            files.extend(sorted(self.hidden_dir.glob(f"test_{name}_*.py")))
        return files

    def session_path(self, name: str = DEFAULT_SESSION) -> Path:
        return self.path / SESSIONS_DIR / f"{name}.yaml"

    def sessions(self) -> list[str]:
        folder = self.path / SESSIONS_DIR
        return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def default_suite_dir() -> Path:
    """`evals/` beside the package (the repository's suite)."""
    return Path(__file__).resolve().parents[2] / "evals"


def load_task(folder: Path) -> Task:
    """Read one task folder; a missing field or hidden check raises SuiteError naming it."""
    spec = folder / TASK_FILE
    if not spec.is_file():
        raise SuiteError(f"{folder.name}: no {TASK_FILE}")
    try:
        data = load_yaml(spec.read_text(encoding="utf-8"), f"{folder.name}/{TASK_FILE}")
    except DocumentError as exc:
        raise SuiteError(str(exc)) from exc
    if not isinstance(data, dict):
        raise SuiteError(f"{folder.name}/{TASK_FILE}: must be a mapping")
    missing = [key for key in ("id", "capability", "title", "prompt") if not data.get(key)]
    if missing:
        raise SuiteError(f"{folder.name}/{TASK_FILE}: missing {', '.join(missing)}")
    task_id = str(data["id"]).strip()
    if task_id != folder.name or not ID_PATTERN.fullmatch(task_id):
        raise SuiteError(
            f"{folder.name}/{TASK_FILE}: id {task_id!r} must equal the folder name "
            "(lowercase letters, digits, - and _)"
        )
    tags = data.get("tags") or []
    if not isinstance(tags, list):
        raise SuiteError(f"{folder.name}/{TASK_FILE}: tags must be a list")
    task = Task(
        id=task_id,
        capability=str(data["capability"]).strip(),
        title=str(data["title"]).strip(),
        prompt=str(data["prompt"]).strip(),
        path=folder.resolve(),
        tags=tuple(str(tag) for tag in tags),
    )
    if not task.hidden_files("functional"):
        raise SuiteError(f"{folder.name}: no hidden/test_functional_*.py check")
    return task


def load_suite(suite_dir: Path | str | None = None, ids: list[str] | None = None) -> list[Task]:
    """Every task of the suite (sorted by id), or only `ids`, in the order given."""
    root = Path(suite_dir) if suite_dir is not None else default_suite_dir()
    if not root.is_dir():
        raise SuiteError(f"suite folder not found: {root}")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and (p / TASK_FILE).is_file())
    tasks = {task.id: task for task in map(load_task, folders)}
    if not tasks:
        raise SuiteError(f"{root}: no task folders (each needs a {TASK_FILE})")
    if not ids:
        return list(tasks.values())
    return [tasks[task_id] for task_id in match_ids(ids, list(tasks), "task id(s)", "the suite")]


def match_ids(asked: list[str], known: list[str], noun: str, where: str) -> list[str]:
    """The asked ids as `known` spells them, once each; case does not matter.

    SuiteError for any that is not there, with the closest known names suggested.
    """
    import difflib

    by_lower = {name.lower(): name for name in known}
    chosen: list[str] = []
    unknown: list[str] = []
    for name in asked:
        found = by_lower.get(name.lower())
        if found is None:
            unknown.append(name)
        elif found not in chosen:
            chosen.append(found)
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
            if close:
                hints.append(f"{name}: did you mean {', '.join(by_lower[c] for c in close)}?")
        raise SuiteError(
            f"unknown {noun}: {', '.join(unknown)}"
            + (f" ({'; '.join(hints)})" if hints else "")
            + f"; {where} has: {', '.join(known) or 'none'}"
        )
    return chosen


def shared_conftest(suite_dir: Path | str | None = None) -> Path | None:
    root = Path(suite_dir) if suite_dir is not None else default_suite_dir()
    path = root / SHARED_CONFTEST
    return path if path.is_file() else None
