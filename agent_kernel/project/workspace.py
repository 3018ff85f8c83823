"""The workspace: a private copy of the sandbox app that the agent edits, with its baseline.

The agent never touches the repository's `sandbox_app/`: each run works in a directory
holding a copy of the package, its tests and a `pytest.ini`, plus a pristine snapshot of
those files under `.workbench/baseline/` so the diff is always computed from disk, never
taken from the model's claims. An existing workspace is reused as is, so work can go on.
"""

from __future__ import annotations

import atexit
import difflib
import fnmatch
import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

PACKAGE = "sandbox_app"
META_DIR = ".workbench"
IGNORED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".ruff_cache", ".git", META_DIR})
IGNORED_PATTERNS = ("*.pyc", "*.db", "*.db-journal", "*.db-wal", "*.db-shm")
PYTEST_INI = "[pytest]\ntestpaths = tests\npythonpath = .\naddopts = -p no:cacheprovider\n"
# The baseline's project memory: kept beside the package in the repository, it is the
# workspace root's CLAUDE.md (where Claude Code, and every run, reads it).
MEMORY_FILE = "CLAUDE.md"


def default_baseline() -> Path:
    """The baseline package: `WORKBENCH_BASELINE`, else the repository's `sandbox_app/`.

    Located by path, never imported: the kernel must not run the app's code.
    """
    configured = os.environ.get("WORKBENCH_BASELINE")
    if configured:
        return Path(configured).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / PACKAGE


class WorkspaceError(ValueError):
    """A directory that cannot become a workspace: no parent, or somebody else's files."""


class PathRefused(Exception):
    """A path the workspace will not hand out: outside its root, or inside its records.

    The tools turn it into an error result the model reads (`ToolContext.resolve`).
    """


def _ignored(name: str) -> bool:
    return name in IGNORED_NAMES or any(fnmatch.fnmatch(name, pat) for pat in IGNORED_PATTERNS)


def _copy_ignore(_dir: str, names: list[str]) -> set[str]:
    return {name for name in names if _ignored(name)}


def is_special(path: Path) -> bool:
    """A FIFO, socket or device: nothing the workbench reads, copies or diffs (opening a
    FIFO blocks until somebody writes to it)."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode))


def read_regular(path: Path) -> bytes:
    """A regular file's bytes, never blocking: a FIFO or device raises OSError instead."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path.name} is not a regular file (a FIFO, socket or device)")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def _walk(base: Path) -> list[str]:
    """Files under `base` (relative, posix, sorted), skipping ignored names and special
    files; links not followed."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if not _ignored(d)]
        here = Path(dirpath)
        # A symlinked directory is listed as an entry (its link), never descended into.
        names = filenames + [d for d in dirnames if (here / d).is_symlink()]
        found.extend(
            (here / n).relative_to(base).as_posix()
            for n in names
            if not _ignored(n) and not is_special(here / n)
        )
    return sorted(found)


def _content(path: Path) -> bytes | None:
    """A file's bytes; a symlink is represented by its target (as git does), never followed;
    a FIFO, socket or device is not read (None)."""
    if path.is_symlink():
        return f"symlink -> {os.readlink(path)}".encode()
    try:
        return read_regular(path)
    except OSError:
        return None


def _text_lines(data: bytes) -> list[str] | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def _terminate(lines: list[str]) -> list[str]:
    """Mark a missing final newline the way git does, so the patch applies cleanly."""
    out = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return out


class LinkRefused(ValueError):
    """A symlink (or special file) that `apply` will not carry out of the workspace."""


def check_mirrorable(source: Path, root: Path | None) -> None:
    """LinkRefused for a symlink leading out of `root`, or a FIFO, socket or device."""
    if source.is_symlink():
        real = Path(os.path.realpath(source))
        if root is None or (real != root and root not in real.parents):
            raise LinkRefused(
                f"{source.name} is a symlink to {os.readlink(source)}, outside the workspace"
            )
    elif is_special(source):
        raise LinkRefused(f"{source.name} is not a regular file (a FIFO, socket or device)")


def mirror_file(source: Path, dest: Path, root: Path | None = None) -> str | None:
    """Make `dest` what `source` is (copied, or deleted when `source` is gone); what was done.

    A symlink is applied as a link when it points inside `root` (the workspace), and refused
    (LinkRefused, naming it) when it leads out: its target is never read or copied. A FIFO,
    socket or device is refused too.
    """
    check_mirrorable(source, root)
    if source.is_symlink():
        target = os.readlink(source)
        if dest.is_symlink() or dest.exists():
            dest.unlink()
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, dest)
        return "updated"
    if source.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
        return "updated"
    if dest.exists():
        dest.unlink()
        return "deleted"
    return None


class TempRemoval:
    """Deletes a temporary workspace when the process that made it exits, unless kept.

    Registered with atexit (a kernel, a CLI run and a papermill run all exit through it);
    `keep = True` leaves the folder. A child forked from that process never removes it.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.keep = False
        self._pid = os.getpid()
        atexit.register(self)

    def __call__(self) -> None:
        if not self.keep and os.getpid() == self._pid:
            shutil.rmtree(self.root, ignore_errors=True)


class Workspace:
    """A directory the agent may read and write, and nothing beyond it."""

    def __init__(self, root: Path | str) -> None:
        self.root: Path = Path(root).expanduser().resolve()
        self.created = False  # set by `create` when it filled the directory from the baseline
        # The user's own project this copy came from: where the rules the agent's processes
        # run under are read (allowlist, sandbox, permissions, MCP servers). None for the
        # baseline, which runs under the defaults.
        self.source: Path | None = None
        self.sandbox_mode: str | None = None  # "on"/"off"; None: WORKBENCH_SANDBOX, else on

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    @classmethod
    def create(cls, path: Path | str | None = None, *, baseline: Path | None = None) -> Workspace:
        """A workspace at `path` (a new temp dir when None), reused if it holds the app already.

        A new one is made only where its parent exists, so a mistyped path is an error rather
        than a tree of new folders; a directory holding other files is refused, never filled.
        `created` says whether this call made it.
        """
        root = Path(tempfile.mkdtemp(prefix="workbench-")) if path is None else Path(path)
        root = root.expanduser()
        if not root.exists():
            if not root.parent.is_dir():
                raise WorkspaceError(
                    f"cannot make a workspace at {root}: its parent {root.parent} does not exist"
                )
            root.mkdir()
        elif not root.is_dir():
            raise WorkspaceError(f"cannot make a workspace at {root}: it is a file")
        elif (
            not (root / PACKAGE).exists() and not (root / META_DIR).exists() and any(root.iterdir())
        ):
            raise WorkspaceError(
                f"{root} is not empty and is not a workspace (no {PACKAGE}/ or {META_DIR}/ in "
                "it); give an empty or new directory, or an existing workspace"
            )
        workspace = cls(root)
        workspace.created = not (root / PACKAGE).exists()
        if path is None:  # whose it is, for `workbench clean`
            from .leftovers import mark_workspace

            mark_workspace(root)
        source = Path(baseline).resolve() if baseline is not None else default_baseline()
        if not (workspace.root / PACKAGE).exists():
            workspace._populate(workspace.root, source)
        if not workspace.baseline_dir.exists():
            # A workspace made by hand (or an older one) gets its snapshot from the baseline,
            # so its diff shows how it differs from the original app.
            workspace._populate(workspace.baseline_dir, source)
        return workspace

    @staticmethod
    def _populate(target: Path, source: Path) -> None:
        if not source.is_dir():
            raise FileNotFoundError(f"baseline package not found: {source}")
        shutil.copytree(source, target / PACKAGE, ignore=_copy_ignore, dirs_exist_ok=True)
        memory = target / PACKAGE / MEMORY_FILE
        if memory.is_file():
            memory.replace(target / MEMORY_FILE)
        tests = source.parent / "tests" / PACKAGE
        if tests.is_dir():
            shutil.copytree(tests, target / "tests", ignore=_copy_ignore, dirs_exist_ok=True)
        else:
            (target / "tests").mkdir(parents=True, exist_ok=True)
        (target / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")

    @property
    def baseline_dir(self) -> Path:
        """The pristine snapshot the diff is computed against."""
        return self.root / META_DIR / "baseline"

    # -- confinement -------------------------------------------------------------------

    def resolve(self, path: str) -> Path:
        """The real path for `path` (relative to the root or absolute inside it), or PathRefused.

        Symlinks are resolved before the check, so a link that leads out is refused too.
        """
        if not isinstance(path, str):
            raise PathRefused(f"path must be a string, got {type(path).__name__}")
        if "\0" in path:
            raise PathRefused("path contains a NUL byte")
        candidate = Path(path.strip() or ".").expanduser()
        if not candidate.is_absolute():
            candidate = self.root / candidate
        real = Path(os.path.realpath(candidate))
        if real != self.root and self.root not in real.parents:
            raise PathRefused(
                f"{path!r} is outside the workspace; paths must be relative to the workspace "
                f"root or absolute inside it ({self.root})"
            )
        if real != self.root and real.relative_to(self.root).parts[0] == META_DIR:
            raise PathRefused(
                f"{path!r} is inside {META_DIR}/, which holds the workbench's own records "
                "and is not part of the workspace"
            )
        return real

    def relative(self, p: Path) -> str:
        """`p` relative to the root, posix style ('.' for the root itself)."""
        rel = Path(p)
        if rel.is_absolute():
            try:  # lexically first: a symlink inside the root keeps its own name
                rel = rel.relative_to(self.root)
            except ValueError:
                rel = rel.resolve().relative_to(self.root)
        text = rel.as_posix()
        return text if text else "."

    def read_text(self, rel: str) -> str:
        """A workspace file's text (confined like every other access)."""
        return self.resolve(rel).read_text(encoding="utf-8")

    # -- inventory and diff ------------------------------------------------------------

    def files(self) -> list[str]:
        """Every file in the workspace (relative, sorted), without caches and records."""
        return _walk(self.root)

    def fingerprint(self) -> str:
        """A digest of every file's path and content: equal digests, nothing changed."""
        digest = hashlib.blake2b(digest_size=16)
        for rel in self.files():
            digest.update(rel.encode() + b"\0" + (_content(self.root / rel) or b"") + b"\0")
        return digest.hexdigest()

    def digests(self) -> dict[str, str]:
        """Each file's content digest: what a run changed is what differs from before it."""
        return {
            rel: hashlib.blake2b(_content(self.root / rel) or b"", digest_size=16).hexdigest()
            for rel in self.files()
        }

    def changed_since(self, before: dict[str, str]) -> list[str]:
        """Files added, modified or deleted since `before` (a `digests()`), sorted."""
        after = self.digests()
        return sorted(
            rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)
        )

    def baseline_files(self) -> list[str]:
        return _walk(self.baseline_dir) if self.baseline_dir.is_dir() else []

    def changed_files(self) -> list[str]:
        """Files added, modified or deleted since the baseline, sorted."""
        current, before = set(self.files()), set(self.baseline_files())
        return sorted(
            rel
            for rel in current | before
            if _content(self.root / rel) != _content(self.baseline_dir / rel)
        )

    def diff_path(self, rel: str) -> str:
        """How a diff names the file `rel` (a project in a subfolder: from its repository)."""
        return rel

    def diff(self) -> str:
        """A unified diff of the workspace against its baseline, with git's a/ b/ prefixes."""
        chunks: list[str] = []
        for rel in self.changed_files():
            old = _content(self.baseline_dir / rel)
            new = _content(self.root / rel)
            shown = self.diff_path(rel)
            header = [f"diff --git a/{shown} b/{shown}\n"]
            if old is None:
                header.append("new file mode 100644\n")
            elif new is None:
                header.append("deleted file mode 100644\n")
            old_lines = _text_lines(old) if old is not None else []
            new_lines = _text_lines(new) if new is not None else []
            if old_lines is None or new_lines is None:
                chunks.append("".join(header) + f"Binary files a/{shown} and b/{shown} differ\n")
                continue
            body = list(
                difflib.unified_diff(
                    old_lines,
                    new_lines,
                    fromfile=f"a/{shown}" if old is not None else "/dev/null",
                    tofile=f"b/{shown}" if new is not None else "/dev/null",
                )
            )
            chunks.append("".join(header) + "".join(_terminate(body)))
        return "".join(chunks)

    def file_tree(self, max_entries: int = 200) -> str:
        """An indented tree of the workspace for the system prompt, cut at `max_entries`."""
        lines: list[str] = []
        seen_dirs: set[str] = set()
        for rel in self.files():
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in seen_dirs:
                    seen_dirs.add(folder)
                    lines.append("  " * (depth - 1) + parts[depth - 1] + "/")
            lines.append("  " * (len(parts) - 1) + parts[-1])
        if len(lines) > max_entries:
            extra = len(lines) - max_entries
            lines = [*lines[:max_entries], f"... ({extra} more entries)"]
        return "\n".join(lines)
