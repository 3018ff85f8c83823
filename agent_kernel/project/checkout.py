"""The private copy of a user's project, its diff, and writing the change back on request.

The agent never touches the user's tree. A project in a git repository is checked out as a
detached `git worktree` of its current HEAD with the uncommitted changes and untracked files
replayed on top (so the copy is the project as it is, not as it was committed); any other
project is copied file by file, honouring its `.gitignore`s. Virtualenvs, `node_modules`,
caches, databases and git's objects are never copied. `.env` files are copied (the app reads
its settings from them) but are never listed, diffed or written back, and their values are
registered as secrets, so no record shows them.

The pristine snapshot under `.workbench/baseline/` and a digest of every file of the user's
tree are taken at checkout: the diff is against the project as it was, and `apply()` refuses
when the user's tree has changed since (nothing is lost: the copy stays as it is).

Imports the workspace and discovery modules of this layer only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import weakref
from pathlib import Path

from .discovery import (
    ProjectInfo,
    discover,
    env_files_in_tree,
    git_state,
    is_env_file,
    read_env_files,
)
from .git_command import run_git, worktree_git_dir
from .interpreter import Interpreter, find_interpreter
from .leftovers import mark_worktree, owner_mark, prune_stale
from .workspace import (
    META_DIR,
    LinkRefused,
    Workspace,
    check_mirrorable,
    mirror_file,
    read_regular,
)

NEVER_COPIED = frozenset(
    {".git", ".venv", "venv", ".env.d", "node_modules", "__pycache__", ".pytest_cache"}
    | {".mypy_cache", ".ruff_cache", ".tox", ".nox", ".coverage", "htmlcov", META_DIR}
)
NEVER_COPIED_SUFFIXES = (".pyc", ".db", ".sqlite", ".sqlite3", ".db-journal", ".db-wal", ".db-shm")
# A JupyterLab chat is the conversation, not the code: it changes while the agent works, so it
# must neither be copied nor count as the user's edit when the change is applied.
NEVER_COPIED_SUFFIXES += (".chat",)
STATE_FILE = "project.json"
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "workbench", "GIT_AUTHOR_EMAIL": "workbench@localhost"}


class ProjectError(RuntimeError):
    """A project operation that cannot go ahead; the message says why and what to do."""


def _never_copied(name: str) -> bool:
    return (
        name in NEVER_COPIED
        or name.endswith(NEVER_COPIED_SUFFIXES)
        or name.endswith(".egg-info")
        or name == "site-packages"
    )


Where = tuple[Path, Path] | None  # (git dir, work tree) of a worktree, found from the repo


def _git(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    text: bool = True,
    where: Where = None,
):
    git_dir, work_tree = where if where else (None, None)
    done = run_git(cwd, args, git_dir=git_dir, work_tree=work_tree, env=env, text=text)
    if done.returncode != 0:
        err = done.stderr if text else done.stderr.decode(errors="replace")
        raise ProjectError(f"git {' '.join(args[:3])} failed in {cwd}: {err.strip()}")
    return done.stdout


def project_files(root: Path, git: bool, where: Where = None) -> list[str]:
    """The project's files as the user sees them (relative, sorted): what git lists (tracked and
    untracked-not-ignored) or, outside git, every file its `.gitignore`s do not exclude. Never
    `.env` files, databases, caches or virtualenvs."""
    if git:
        listing = ("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
        out = _git(root, *listing, where=where)
        names = [n for n in out.split("\0") if n]
        keep = [n for n in names if not any(_never_copied(p) for p in n.split("/"))]
        return sorted(
            n for n in keep if not is_env_file(n.rsplit("/", 1)[-1]) and (root / n).is_file()
        )
    return sorted(_walk_ignoring(root))


def _walk_ignoring(root: Path) -> list[str]:
    import pathspec

    found: list[str] = []
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []  # (folder, its .gitignore)
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        ignore_file = here / ".gitignore"
        if ignore_file.is_file():
            lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
            specs.append((rel_dir, pathspec.GitIgnoreSpec.from_lines(lines)))

        def full(name: str, rel_dir: str = rel_dir) -> str:
            return f"{rel_dir}/{name}" if rel_dir else name

        dirnames[:] = sorted(
            d for d in dirnames if not _never_copied(d) and not _ignored(specs, full(d), True)
        )
        for name in filenames:
            if _never_copied(name) or is_env_file(name) or _ignored(specs, full(name), False):
                continue
            found.append(full(name))
    return found


def _ignored(specs: list, rel: str, is_dir: bool) -> bool:
    """Whether a `.gitignore` of `rel`'s folder or of one above it excludes `rel`."""
    for folder, spec in specs:
        if folder and not rel.startswith(folder + "/"):
            continue
        inner = rel[len(folder) + 1 :] if folder else rel
        if spec.match_file(inner + ("/" if is_dir else "")):
            return True
    return False


def _digest(path: Path) -> str | None:
    try:
        if path.is_symlink():
            return "link:" + os.readlink(path)
        return hashlib.blake2b(read_regular(path), digest_size=16).hexdigest()
    except OSError:  # gone, a folder, or a FIFO that must never be opened
        return None


def tree_digests(root: Path, git: bool) -> dict[str, str]:
    return {rel: _digest(root / rel) or "" for rel in project_files(root, git)}


class ProjectWorkspace(Workspace):
    """A private copy of an existing project: the agent's workspace, with its way back."""

    def __init__(self, root: Path | str) -> None:
        super().__init__(root)
        state = json.loads((self.root / META_DIR / STATE_FILE).read_text(encoding="utf-8"))
        self.source = Path(state["source"])
        self.git: dict[str, str] | None = state.get("git")
        self.checkout_dir = Path(state["checkout"])
        self.base_commit: str | None = state.get("base_commit")
        self.user_digests: dict[str, str] = state["digests"]
        self.env_files: list[str] = state.get("env_files", [])
        self.app: str | None = state.get("app")
        python = state.get("python")
        self.interpreter: Interpreter = (
            Interpreter(python, state.get("python_found_by", "recorded"))
            if python
            else find_interpreter(self.source)
        )
        self.temp = bool(state.get("temp"))
        self.finalizer: weakref.finalize | None = None
        self.extra_env: dict[str, str] = {}
        self._info: ProjectInfo | None = None
        self._register_secrets()

    @property
    def python(self) -> str:
        """The interpreter the project's tests, commands and live checks run on."""
        return self.interpreter.path

    @property
    def subdir(self) -> str:
        """The project's folder in its repository ('' at the top, or outside git)."""
        return (self.git or {}).get("subdir") or ""

    def diff_path(self, rel: str) -> str:
        """Diffs name files from the repository's root, so `git apply` works there."""
        return f"{self.subdir}/{rel}" if self.subdir else rel

    def __repr__(self) -> str:
        return f"ProjectWorkspace({str(self.root)!r}, source={str(self.source)!r})"

    # -- creation ----------------------------------------------------------------------

    @classmethod
    def create_for(
        cls,
        project: Path | str,
        path: Path | str | None = None,
        *,
        python: str | os.PathLike | None = None,
        app: str | None = None,
    ) -> ProjectWorkspace:
        """The private copy of `project` at `path` (a new temp dir when None); reused when
        `path` already holds a copy of the same project. `python` and `app` override what
        the project says (its `.venv`, its `[tool.workbench] app`)."""
        source = Path(project).expanduser().resolve()
        if not source.is_dir():
            raise ProjectError(f"no project directory at {source}")
        interpreter = find_interpreter(source, python)
        git = git_state(source)
        if git:
            prune_stale(Path(git["toplevel"]))  # copies left by processes that are gone
        checkout = (
            Path(tempfile.mkdtemp(prefix="workbench-project-"))
            if path is None
            else Path(path).expanduser().resolve()
        )
        root = checkout / git["subdir"] if git and git["subdir"] else checkout
        state_file = root / META_DIR / STATE_FILE
        if state_file.is_file():
            existing = cls(root)
            if existing.source != source:
                raise ProjectError(
                    f"{checkout} already holds a copy of {existing.source}, not of {source}; "
                    "give another workspace directory"
                )
            if python or app:
                existing.remember(interpreter=interpreter if python else None, app=app)
            return existing
        if checkout.exists() and any(checkout.iterdir()):
            raise ProjectError(f"{checkout} is not empty; give an empty or new directory")
        base_commit = None
        if git:
            base_commit = _git_checkout(source, Path(git["toplevel"]), checkout)
            mark_worktree(checkout, temp=path is None)
        else:
            _plain_copy(source, checkout)
        env_files = _copy_env_files(source, root, git)
        _snapshot(root, project_files(root, git is not None) + env_files)
        state = {
            "source": str(source),
            "checkout": str(checkout),
            "git": git,
            "base_commit": base_commit,
            "digests": tree_digests(source, git is not None),
            "env_files": env_files,
            "python": interpreter.path,
            "python_found_by": interpreter.found_by,
            "app": app,
            "temp": path is None,
            "owner": {**owner_mark(), "temp": path is None},
        }
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(state, indent=1), encoding="utf-8")
        return cls(root)

    # -- what the rest of the workbench asks a workspace -------------------------------

    @property
    def info(self) -> ProjectInfo:
        """Discovery run on the copy (so paths point into it); cached until files change."""
        if self._info is None:
            self._info = discover(self.root, app=self.app)
        return self._info

    def remember(self, *, interpreter: Interpreter | None = None, app: str | None = None) -> None:
        """Keep a new interpreter or app name for this copy (in its state, for a reopen)."""
        state_file = self.root / META_DIR / STATE_FILE
        state = json.loads(state_file.read_text(encoding="utf-8"))
        if interpreter is not None:
            self.interpreter = interpreter
            state["python"], state["python_found_by"] = interpreter.path, interpreter.found_by
        if app is not None:
            self.app = app
            state["app"] = app
            self._info = None
        state_file.write_text(json.dumps(state, indent=1), encoding="utf-8")

    def forget_info(self) -> None:
        self._info = None

    def files(self) -> list[str]:
        return project_files(self.root, self.git is not None, self.git_location())

    def git_location(self) -> Where:
        """The worktree's git dir as the user's repository records it, and its tree: every git
        call in the copy names both, so the `.git` file in the agent's tree is never trusted."""
        if not self.git:
            return None
        admin = worktree_git_dir(self.checkout_dir, Path(self.git["toplevel"]))
        if admin is None:
            raise ProjectError(
                f"{self.checkout_dir} is no longer a worktree that {self.git['toplevel']} "
                "records; open the project again for a fresh copy"
            )
        return admin, self.checkout_dir

    def baseline_files(self) -> list[str]:
        listed = super().baseline_files()
        return [rel for rel in listed if not is_env_file(rel.rsplit("/", 1)[-1])]

    def environment(self) -> dict[str, str]:
        """What the app's process gets on top of the kernel's: the values of its `.env` at
        the root and the repository's top (the closest file wins), then `Workbench(env=...)`.
        A `.env` further down (`src/.env`) is copied for the app to read where it looks."""
        paths = [self.root / rel for rel in self.env_files if "/" not in rel]
        paths += [self.root / rel for rel in self.env_files if rel.startswith("../")]
        return {**read_env_files(paths), **self.extra_env}

    def use_env(self, env: dict[str, str] | None) -> None:
        """Settings for the app given by the user (`Workbench(env=...)`), kept as secrets."""
        self.extra_env = {str(k): str(v) for k, v in (env or {}).items()}
        self._register_secrets()

    def _register_secrets(self) -> None:
        from ..history.redaction import register_secret

        for value in self.secret_values():
            register_secret(value)

    def test_environment(self) -> dict[str, str]:
        """What a test run of the project adds to the workbench's scrubbed environment."""
        env = self.environment()
        paths = [str(self.root)]
        with contextlib.suppress(Exception):
            if self.info.import_root != self.root:
                paths.insert(0, str(self.info.import_root))
        env["PYTHONPATH"] = os.pathsep.join(paths)
        return env

    def prompt_facts(self) -> list[str]:
        """The system prompt's lines about this project: what it is and how it is laid out."""
        try:
            info = self.info
        except Exception as exc:  # the agent may be asked to fix exactly this
            return [f"This is an existing project; its app was not found: {exc}"]
        rel = info.app_file.relative_to(self.root).as_posix()
        where = info.import_root.relative_to(self.root).as_posix()
        lines = [
            "This is the user's own FastAPI project (a private copy; nothing reaches their "
            "tree until they apply it). Read its code before you change it and follow its "
            "conventions.",
            f"The app is `{info.app_ref}` in `{rel}`; the project imports itself with ABSOLUTE "
            f"imports from `{where if where != '.' else 'the workspace root'}` (top-level "
            f"package `{info.top_level}`): keep to that style.",
            "Tests: "
            + (", ".join(info.tests) or "none yet")
            + f"; pytest configuration: {info.pytest_config or 'none (pytest defaults)'}. "
            "`run_tests` runs them with the project's own conftest.py.",
        ]
        if info.test_dir != ".":
            lines.append(f"pytest runs in `{info.test_dir}/` ({info.test_dir_found_by}).")
        if not self.interpreter.own:
            lines.append(
                "The project runs on its own interpreter, not the workbench's: "
                f"{self.interpreter.describe(self.source)}. Write code for these versions; "
                "`run_command`'s python is this interpreter."
            )
        if self.env_files:
            names = sorted(self.environment())
            lines.append(
                "Settings come from the project's .env (values are secret and never shown): "
                + ", ".join(names[:20])
            )
        return lines

    def secret_values(self) -> list[str]:
        """Every value of the project's `.env` files and of `env=`: never shown anywhere."""
        every = read_env_files([self.root / rel for rel in self.env_files])
        values = [*self.environment().values(), *every.values()]
        return [v for v in dict.fromkeys(values) if len(v) >= 4 and v.lower() not in _PLAIN_VALUES]

    # -- back to the user's tree -------------------------------------------------------

    def user_changes(self) -> list[str]:
        """Files of the user's project that changed since the copy was made."""
        now = tree_digests(self.source, self.git is not None)
        before = self.user_digests
        return sorted(rel for rel in set(now) | set(before) if now.get(rel) != before.get(rel))

    def apply(self) -> list[str]:
        """Write the changes into the user's project; refused when it changed underneath."""
        changed = self.changed_files()
        if not changed:
            return []
        moved = self.user_changes()
        if moved:
            shown = ", ".join(moved[:8]) + (f" and {len(moved) - 8} more" if len(moved) > 8 else "")
            raise ProjectError(
                f"not applied: {self.source} changed since the workbench copied it ({shown}). "
                "Nothing was written and the change is still in the workspace: commit it on a "
                "branch with wb.branch('name'), or take wb.diff() and apply it by hand "
                "(`git apply`)."
            )
        refused = []
        for rel in changed:
            try:
                check_mirrorable(self.root / rel, self.root)
            except LinkRefused as exc:
                refused.append(f"{rel} ({exc})")
        if refused:
            raise ProjectError(f"not applied, nothing written: {'; '.join(refused)}")
        applied: list[str] = []
        for rel in changed:
            done = mirror_file(self.root / rel, self.source / rel, self.root)
            if done:
                applied.append(f"{done} {self.diff_path(rel)}")
        self._rebase()
        return applied

    def _rebase(self) -> None:
        """After apply: the diff and the digests start again from the project as it now is."""
        shutil.rmtree(self.baseline_dir, ignore_errors=True)
        _snapshot(self.root, self.files() + self.env_files)
        self.user_digests = tree_digests(self.source, self.git is not None)
        state_file = self.root / META_DIR / STATE_FILE
        state = json.loads(state_file.read_text(encoding="utf-8"))
        state["digests"] = self.user_digests
        state_file.write_text(json.dumps(state, indent=1), encoding="utf-8")

    def branch(self, name: str, message: str | None = None) -> str:
        """Commit the change on a new branch of the user's repository (their tree untouched)."""
        if not self.git or not self.base_commit:
            raise ProjectError(
                f"{self.source} is not a git repository: use wb.apply() or take wb.diff()"
            )
        top = self.checkout_dir
        where = self.git_location()
        try:
            _git(top, "check-ref-format", "--branch", name)
        except ProjectError:
            raise ProjectError(f"{name!r} is not a valid branch name") from None
        exists = run_git(
            top, ["rev-parse", "--verify", "--quiet", f"refs/heads/{name}"], git_dir=where[0]
        )
        if exists.returncode == 0:
            raise ProjectError(f"branch {name!r} already exists; choose another name")
        changed = self.changed_files()
        if not changed:
            raise ProjectError("nothing to commit: the workspace has no changes")
        subdir = self.git.get("subdir") or ""
        paths = [f"{subdir}/{rel}" if subdir else rel for rel in changed]
        text = message or f"Workbench change: {', '.join(changed[:5])}"
        commit = _commit_paths(top, self.base_commit, paths, text, where)
        _git(top, "branch", name, commit, where=where)
        return commit

    def remove(self) -> None:
        """Delete the private copy (and its worktree registration in the user's repository)."""
        if not self.checkout_dir.exists():
            return
        if self.git:
            run_git(
                Path(self.git["toplevel"]),
                ["worktree", "remove", "--force", str(self.checkout_dir)],
            )
        shutil.rmtree(self.checkout_dir, ignore_errors=True)


_PLAIN_VALUES = frozenset({"true", "false", "none", "null", "yes", "no", "on", "off"})


def _git_env(cwd: Path, where: Where = None) -> dict[str, str]:
    """An author for commits in a repository without one configured."""
    named = run_git(cwd, ["config", "user.name"], git_dir=where[0] if where else None)
    if named.stdout.strip():
        return {}
    return {
        **GIT_IDENTITY,
        "GIT_COMMITTER_NAME": "workbench",
        "GIT_COMMITTER_EMAIL": "workbench@localhost",
    }


def _commit_paths(
    top: Path, parent: str, paths: list[str], message: str, where: Where = None
) -> str:
    """A commit of `parent` with `paths` taken from the worktree `top`, through a private index
    (no hooks run, the worktree's own index and HEAD untouched)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), **_git_env(top, where)}
        _git(top, "read-tree", parent, env=env, where=where)
        _git(top, "update-index", "--add", "--remove", "--", *paths, env=env, where=where)
        tree = _git(top, "write-tree", env=env, where=where).strip()
        commit = ("commit-tree", tree, "-p", parent, "-m", message)
        return _git(top, *commit, env=env, where=where).strip()


def _git_checkout(source: Path, top: Path, checkout: Path) -> str:
    """A detached worktree of HEAD at `checkout`, plus the uncommitted work; the commit it
    starts from (HEAD, or a commit of HEAD with that work, private to the copy)."""
    head = _git(top, "rev-parse", "HEAD").strip()
    checkout.parent.mkdir(parents=True, exist_ok=True)
    if checkout.exists():
        checkout.rmdir()
    _git(top, "worktree", "add", "--detach", "--quiet", str(checkout), head)
    patch = _git(top, "diff", "--no-ext-diff", "--no-textconv", "--binary", "HEAD", text=False)
    changed = [
        n for n in _git(top, "diff", "--no-ext-diff", "--name-only", "-z", "HEAD").split("\0") if n
    ]
    # A tracked .env's uncommitted values stay in the copy's files, out of any commit.
    changed = [n for n in changed if not is_env_file(n.rsplit("/", 1)[-1])]
    if patch:
        applied = run_git(
            checkout, ["apply", "--binary", "--whitespace=nowarn"], input=patch, text=False
        )
        if applied.returncode != 0:
            raise ProjectError(
                f"could not replay the uncommitted changes of {top}: "
                f"{applied.stderr.decode(errors='replace').strip()}"
            )
    untracked = [
        n
        for n in _git(top, "ls-files", "-z", "--others", "--exclude-standard").split("\0")
        if n
        and not any(_never_copied(p) for p in n.split("/"))
        and not is_env_file(n.rsplit("/", 1)[-1])
    ]
    for rel in untracked:
        target = checkout / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(top / rel, target, follow_symlinks=False)
    if not changed and not untracked:
        return head
    return _commit_paths(
        checkout, head, changed + untracked, "Uncommitted changes the workbench started from"
    )


def _plain_copy(source: Path, checkout: Path) -> None:
    checkout.mkdir(parents=True, exist_ok=True)
    for rel in _walk_ignoring(source):
        target = checkout / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, target, follow_symlinks=False)


def _copy_env_files(source: Path, root: Path, git: dict[str, str] | None) -> list[str]:
    """The project's `.env` files into the copy (the app needs them); their paths relative to
    the copy's root, closest first. A top-level `.env` of the repository comes along too."""
    copied: list[str] = []
    listed = env_files_in_tree(source)
    for rel in sorted(listed, key=lambda r: ("/" in r, r)):  # the root's first
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, target)
        copied.append(rel)
    if git and git.get("subdir"):
        top_env = Path(git["toplevel"]) / ".env"
        depth = len(Path(git["subdir"]).parts)
        target = root.joinpath(*[".."] * depth, ".env").resolve()
        if top_env.is_file():
            if not target.exists():
                shutil.copy2(top_env, target)
            copied.append("/".join([".."] * depth + [".env"]))
    return copied


def _snapshot(root: Path, files: list[str]) -> None:
    baseline = root / META_DIR / "baseline"
    for rel in files:
        if rel.startswith("../"):
            continue
        target = baseline / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target, follow_symlinks=False)


def open_workspace(root: Path | str) -> Workspace:
    """The workspace at `root`: a project copy when it is one, else a baseline workspace."""
    path = Path(root).expanduser().resolve()
    if (path / META_DIR / STATE_FILE).is_file():
        return ProjectWorkspace(path)
    return Workspace(path)


def open_project(
    project: Path | str,
    workspace: Path | str | None = None,
    env: dict[str, str] | None = None,
    *,
    python: str | os.PathLike | None = None,
    app: str | None = None,
) -> ProjectWorkspace:
    """The private copy of `project` (made now, or reused at `workspace`), with `env` set.

    The app is looked for at once, so a project the workbench cannot use says so here. A
    copy in a new temp folder is removed when nothing refers to it any more (its Workbench
    closed or collected) and at interpreter exit."""
    discover(project, app=app)  # DiscoveryError: what is missing and how to set it
    copy = ProjectWorkspace.create_for(project, workspace, python=python, app=app)
    copy.use_env(env)
    if copy.temp and workspace is None:
        copy.finalizer = weakref.finalize(
            copy, _remove_copy, copy.checkout_dir, copy.git, os.getpid()
        )
    return copy


def _remove_copy(checkout: Path, git: dict[str, str] | None, owner: int) -> None:
    """Remove a temp copy (its worktree too), from its owning process only."""
    if os.getpid() != owner or not checkout.exists():
        return
    if git:
        run_git(Path(git["toplevel"]), ["worktree", "remove", "--force", str(checkout)])
    shutil.rmtree(checkout, ignore_errors=True)


def find_copy(path: Path | str | None) -> ProjectWorkspace | None:
    """The project copy at `path` (given as its root or as the checkout holding it), if any:
    a workspace made with `project=` reopens as one without naming the project again."""
    if path is None:
        return None
    base = Path(path).expanduser().resolve()
    if (base / META_DIR / STATE_FILE).is_file():
        return ProjectWorkspace(base)
    if not base.is_dir():
        return None
    for state in sorted(base.glob(f"*/{META_DIR}/{STATE_FILE}")) + sorted(
        base.glob(f"*/*/{META_DIR}/{STATE_FILE}")
    ):
        copy = ProjectWorkspace(state.parent.parent)
        if copy.checkout_dir == base:
            return copy
    return None
