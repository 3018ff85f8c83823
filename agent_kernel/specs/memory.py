"""Project memory: the instruction files Claude Code reads into every session, read the same way.

In this order, each under its own heading with its path: the user's `~/.claude/CLAUDE.md`
(`$CLAUDE_CONFIG_DIR/CLAUDE.md` when that is set, as Claude Code has it), the project's
`CLAUDE.md` and `.claude/CLAUDE.md`, `CLAUDE.local.md`, `AGENTS.md` and Spec-Kit Plus's
`.specify/memory/constitution.md`. A line's `@path` imports another file, as Claude Code does:
relative to the importing file (`@~/...` from the home folder), at most five hops deep, never
a file outside the project (the user's own file may import from its own folder), each file
once (a cycle is cut), and never inside code. Sizes are capped; what was cut says so.

The memory is read once, when a run starts, from the project the run works on.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_IMPORT_DEPTH = 5
FILE_CAP = 40_000  # characters of one file
TOTAL_CAP = 120_000  # characters of all memory together
DIGEST_LENGTH = 12

# (relative path, kind) in the order they are read; the user's file comes first of all.
PROJECT_FILES = (
    ("CLAUDE.md", "project"),
    (".claude/CLAUDE.md", "project"),
    ("CLAUDE.local.md", "local"),
    ("AGENTS.md", "agents"),
    (".specify/memory/constitution.md", "constitution"),
)
KIND_LABELS = {
    "user": "user memory",
    "project": "project memory",
    "local": "local project memory (not shared)",
    "agents": "AGENTS.md",
    "constitution": "constitution",
    "import": "imported",
}
# Personal files: never part of what a cassette pins (another user has other ones).
PERSONAL_KINDS = frozenset({"user", "local"})

_IMPORT = re.compile(r"(?<![\w`@])@((?:~/|\.{1,2}/|/)?[\w.\-/]+[\w\-/])")
_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`[^`\n]*`")


def user_memory_file() -> Path:
    """The user's own CLAUDE.md: in `$CLAUDE_CONFIG_DIR`, else `~/.claude`."""
    base = os.environ.get("CLAUDE_CONFIG_DIR")
    folder = Path(base).expanduser() if base else Path.home() / ".claude"
    return folder / "CLAUDE.md"


@dataclass
class MemoryFile:
    """One file read into the system prompt."""

    path: str  # as shown: relative to the project, or `~/.claude/...` for the user's
    kind: str
    text: str
    digest: str  # of the whole file as read (sha256, first 12 hex digits)
    imported_by: str | None = None
    depth: int = 0
    cut: int = 0  # characters left out by the caps

    @property
    def label(self) -> str:
        if self.imported_by:
            return f"imported by {self.imported_by}"
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def heading(self) -> str:
        return f"### {self.path} ({self.label})"


@dataclass
class ProjectMemory:
    """What a run was told about the project beyond the agent definition."""

    files: list[MemoryFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.files or self.notes)

    @property
    def paths(self) -> list[str]:
        return [item.path for item in self.files]

    def digests(self) -> dict[str, str]:
        """The shared files (not the user's or the local one) and their digests: what a
        cassette pins, so a changed CLAUDE.md is named when a replay no longer fits."""
        return {f.path: f.digest for f in self.files if f.kind not in PERSONAL_KINDS}

    def render(self) -> str:
        """The system prompt's section; empty when the project has no memory files."""
        if not self:
            return ""
        parts = [
            "## Project memory (read when the run started)\n\n"
            "The project's instructions for you, in order; follow them. A later file refines "
            "an earlier one; `@path` lines name files whose text follows under their own "
            "heading.\n"
        ]
        for item in self.files:
            text = item.text.rstrip()
            parts.append(f"\n{item.heading}\n\n{text}\n")
        if self.notes:
            parts.append("\n" + "".join(f"- Note: {note}\n" for note in self.notes))
        return "".join(parts)

    def summary(self) -> str:
        """One line a file, as `wb.memory` shows it."""
        if not self:
            return "no project memory (no CLAUDE.md, AGENTS.md or constitution found)"
        lines = []
        for item in self.files:
            label = f"imported by {item.imported_by}" if item.imported_by else item.kind
            cut = f", {item.cut} characters cut" if item.cut else ""
            lines.append(f"{item.path}  [{label}, {len(item.text)} characters{cut}]")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_markdown_(self) -> str:
        rows = ["| file | kind | characters |", "| --- | --- | --- |"]
        for item in self.files:
            kind = f"imported by `{item.imported_by}`" if item.imported_by else item.kind
            cut = f" ({item.cut} cut)" if item.cut else ""
            rows.append(f"| `{item.path}` | {kind} | {len(item.text)}{cut} |")
        notes = "".join(f"\n- {note}" for note in self.notes)
        if not self.files:
            return self.summary() + notes
        return "\n".join(rows) + ("\n" + notes if notes else "")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH]


def import_targets(text: str) -> list[str]:
    """The `@path` imports of a file, in order; none inside fenced or inline code."""
    found: list[str] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        for match in _IMPORT.finditer(_INLINE_CODE.sub("", line)):
            found.append(match.group(1))
    return found


class _Reader:
    def __init__(self, project: Path, user_file: Path | None) -> None:
        self.project = project.resolve()
        self.user_dir = user_file.parent.resolve() if user_file is not None else None
        self.memory = ProjectMemory()
        self.seen: set[Path] = set()
        self.total = 0

    def shown(self, path: Path) -> str:
        if self.project == path or self.project in path.parents:
            return path.relative_to(self.project).as_posix()
        if self.user_dir is not None and (self.user_dir == path or self.user_dir in path.parents):
            home = Path.home().resolve()
            if home in path.parents:
                return "~/" + path.relative_to(home).as_posix()
            return path.as_posix()
        return path.as_posix()

    def read(
        self,
        path: Path,
        kind: str,
        root: Path,
        *,
        imported_by: str | None = None,
        depth: int = 0,
    ) -> None:
        real = path.resolve()
        if real in self.seen:
            if imported_by:
                self.memory.notes.append(
                    f"{imported_by} imports {self.shown(real)}, already loaded above; "
                    "the import cycle was cut there"
                )
            return
        if real != root and root not in real.parents:
            where = imported_by or self.shown(path)
            self.memory.notes.append(
                f"{where}: {path.name} leads outside the project ({real}); not loaded"
            )
            return
        try:
            data = real.read_bytes()
        except OSError as exc:
            self.memory.notes.append(f"{self.shown(real)} could not be read: {exc.strerror}")
            return
        self.seen.add(real)
        text = data.decode("utf-8", errors="replace")
        cut = 0
        room = max(0, min(FILE_CAP, TOTAL_CAP - self.total))
        if len(text) > room:
            cut = len(text) - room
            text = text[:room]
            reason = "the per-file cap" if room == FILE_CAP else "the total memory cap"
            text += f"\n\n[{cut} characters of {self.shown(real)} cut here: {reason}]"
            self.memory.notes.append(f"{self.shown(real)}: {cut} characters cut ({reason})")
        self.total += len(text)
        shown = self.shown(real)
        self.memory.files.append(
            MemoryFile(shown, kind, text, _digest(data), imported_by, depth, cut)
        )
        for target in import_targets(text):
            self._import(target, real, shown, root, depth)

    def _import(self, target: str, source: Path, shown: str, root: Path, depth: int) -> None:
        if target.startswith("~/"):
            candidate = Path.home() / target[2:]
        elif target.startswith("/"):
            candidate = Path(target)
        else:
            candidate = source.parent / target
        if not candidate.is_file():
            return  # not an import: a mention such as @app.get, or a file that is not there
        if depth + 1 > MAX_IMPORT_DEPTH:
            self.memory.notes.append(
                f"{shown} imports {target}: deeper than {MAX_IMPORT_DEPTH} levels; not loaded"
            )
            return
        self.read(candidate, "import", root, imported_by=shown, depth=depth + 1)


def load_memory(project: Path | str, *, user: bool = True) -> ProjectMemory:
    """Read the project's memory files now (and the user's own unless `user=False`)."""
    project = Path(project)
    user_file = user_memory_file() if user else None
    reader = _Reader(project, user_file)
    if user_file is not None and user_file.is_file():
        reader.read(user_file, "user", user_file.parent.resolve())
    for rel, kind in PROJECT_FILES:
        path = project / rel
        if path.is_file() or path.is_symlink():
            reader.read(path, kind, reader.project)
    return reader.memory


def memory_mismatch(pinned: dict[str, str], now: dict[str, str]) -> str | None:
    """How the memory a cassette was made with differs from the memory of this run, or None."""
    changed = [path for path in pinned if path in now and now[path] != pinned[path]]
    missing = [path for path in pinned if path not in now]
    added = [path for path in now if path not in pinned]
    parts = []
    if changed:
        parts.append("changed since it was made: " + ", ".join(changed))
    if missing:
        parts.append("no longer present: " + ", ".join(missing))
    if added:
        parts.append("new: " + ", ".join(added))
    return "; ".join(parts) or None
