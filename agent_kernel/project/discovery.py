"""Finding an existing FastAPI project's app, tests, settings and git state, without running it.

A project names its app in `pyproject.toml` (`[tool.workbench] app = "module:attr"`, or
fastapi-cli's `[tool.fastapi] entrypoint`); otherwise the conventions that `fastapi dev` and
uvicorn users rely on are tried in order: `main.py`, `app.py`, `api.py`, `server.py`, `asgi.py`,
`app/main.py`, `app/app.py`, `app/server.py`, `api/main.py`, `src/<pkg>/main.py`,
`<pkg>/main.py`; `discover(app="module:attr")` (`--app`, `Workbench(app=...)`) names it
without touching the project's files. The module is only parsed
(`ast`), never imported: the attribute is `app` (or `api`, or whatever is assigned a
`FastAPI(...)`), else a factory `create_app()` / `get_app()` / `make_app()`.

Imports the standard library, `dotenv` and this layer's settings_scan only.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .settings_scan import SettingsUse, scan_settings

CONVENTIONS = (
    "main.py",
    "app.py",
    "api.py",
    "server.py",
    "asgi.py",
    "app/main.py",
    "app/app.py",
    "app/server.py",
    "api/main.py",
)
FACTORIES = ("create_app", "get_app", "make_app", "build_app", "app_factory")
APP_NAMES = ("app", "api", "application")
SKIPPED_DIRS = frozenset(
    {".git", ".venv", "venv", "env", "node_modules", "__pycache__", ".tox", ".nox", "build"}
    | {"dist", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".workbench", "site-packages"}
)
DATABASE_KEYS = ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_DATABASE_URL", "DB_URL")
HOW_TO_SET = (
    'name it in the project\'s pyproject.toml:\n\n    [tool.workbench]\n    app = "module:attr"'
    '   # e.g. "app.main:app", or "app.main:create_app" for a factory\n'
)


class DiscoveryError(ValueError):
    """The project's app could not be found; the message says what was tried and how to set it."""


@dataclass
class ProjectInfo:
    """What was found in a project directory (paths absolute; `module` importable from
    `import_root`)."""

    root: Path
    import_root: Path
    module: str
    attr: str
    factory: bool
    found_by: str
    tests: list[str] = field(default_factory=list)
    pytest_config: str | None = None
    env_files: list[Path] = field(default_factory=list)
    database_url: str | None = None
    python_files: int = 0
    git: dict[str, str] | None = None
    test_dir: str = "."  # where pytest runs, relative to root
    test_dir_found_by: str = "the project's root"
    settings: SettingsUse = field(default_factory=SettingsUse)
    database_found_by: str = ""

    @property
    def app_ref(self) -> str:
        return f"{self.module}:{self.attr}" + ("()" if self.factory else "")

    @property
    def app_file(self) -> Path:
        base = self.import_root / Path(*self.module.split("."))
        package = base / "__init__.py"
        return package if package.is_file() else base.with_suffix(".py")

    @property
    def top_level(self) -> str:
        return self.module.split(".")[0]

    def _import_style(self) -> str:
        try:
            tree = ast.parse(self.app_file.read_text(encoding="utf-8"))
        except (SyntaxError, OSError, UnicodeDecodeError):
            return "absolute"
        relative = any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))
        return "relative" if relative else "absolute"

    def _settings(self) -> str:
        if not self.env_files:
            return "no .env (settings from the environment, or Workbench(env=...))"
        names = sorted(read_env_files(self.env_files))
        files = ", ".join(_rel(p, self.root) for p in self.env_files)
        return f"{files}: {', '.join(names) or 'empty'} (values never shown)"

    def _settings_lines(self) -> list[str]:
        lines = []
        if self.settings.env_files:
            lines.append(f"env files: {'; '.join(self.settings.env_files[:6])}")
        if self.settings.getenv:
            known = {**read_env_files(self.env_files), **os.environ}
            shown = [
                f"{name} ({'set' if name in known else 'NOT SET'}; {places[0]})"
                for name, places in sorted(self.settings.getenv.items())
            ]
            lines.append(f"os.getenv: {', '.join(shown[:12])}")
        return [f"           {line}" for line in lines]

    def _database(self) -> str:
        if not self.database_url:
            return "not set"
        how = f" ({self.database_found_by})" if self.database_found_by else ""
        return mask_url(self.database_url) + how

    def describe(self) -> str:
        """The report `workbench inspect` prints."""
        rel = self.app_file.relative_to(self.root).as_posix()
        lines = [
            f"project:   {self.root}",
            f"app:       {self.app_ref}  ({rel}; {self.found_by})",
            f"imports:   from {_rel(self.import_root, self.root)} ({self._import_style()}, "
            f"top-level package {self.top_level!r})",
            f"tests:     {', '.join(self.tests) or 'none found (no test_*.py)'}",
            f"pytest:    {self.pytest_config or 'no configuration (pytest defaults)'}, run in "
            f"{self.test_dir if self.test_dir != '.' else './'} ({self.test_dir_found_by})",
            f"settings:  {self._settings()}",
            *self._settings_lines(),
            f"database:  {self._database()}",
            f"files:     {self.python_files} Python files",
            f"git:       {describe_git(self.git)}",
        ]
        return "\n".join(lines)


def _rel(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        if root.is_relative_to(path):  # a folder above the project: ../
            return "../" * len(root.relative_to(path).parts)
        return str(path)
    return rel if rel != "." else "./"


def mask_url(url: str) -> str:
    """A URL with the password of its user info replaced by ***."""
    return re.sub(r"(://[^:/@\s]*:)[^@/\s]+@", r"\1***@", url)


def describe_git(git: dict[str, str] | None) -> str:
    if not git:
        return "not a git repository (the private copy honours .gitignore)"
    where = f" (project in {git['subdir']}/)" if git.get("subdir") else ""
    dirty = git.get("dirty", "0")
    state = "clean" if dirty == "0" else f"{dirty} uncommitted change(s), copied too"
    return f"{git['branch']} at {git['commit'][:12]}, {state}{where}"


def discover(project: Path | str, app: str | None = None) -> ProjectInfo:
    """The project at `project`, or DiscoveryError saying what is missing and how to set it.

    `app` ("module:attr") names the app over the project's configuration and conventions."""
    root = Path(project).expanduser().resolve()
    if not root.is_dir():
        raise DiscoveryError(f"no project directory at {root}")
    config = _pyproject(root)
    if app:
        module, attr, factory, import_root, found_by = _configured(root, app, "app=")
    else:
        module, attr, factory, import_root, found_by = _locate_app(root, config)
    env_files = env_files_of(root)
    test_dir, test_dir_found_by = _test_dir(root, config)
    sources = [p for p in python_files(root) if not _is_test_file(root, p)]
    database_url, database_found_by = _database_url(env_files)
    info = ProjectInfo(
        root=root,
        import_root=import_root,
        module=module,
        attr=attr,
        factory=factory,
        found_by=found_by,
        tests=_tests(root, config),
        pytest_config=_pytest_config(root, config),
        env_files=env_files,
        database_url=database_url,
        database_found_by=database_found_by,
        python_files=sum(1 for _ in python_files(root)),
        git=git_state(root),
        test_dir=test_dir,
        test_dir_found_by=test_dir_found_by,
        settings=scan_settings(root, sources),
    )
    return info


def _is_test_file(root: Path, path: Path) -> bool:
    parts = path.relative_to(root).parts
    return path.name.startswith("test_") or "tests" in parts or path.name == "conftest.py"


def _test_dir(root: Path, config: dict) -> tuple[str, str]:
    """Where pytest runs: `[tool.workbench] test-dir`, else the folder of the closest pytest
    configuration (the project's root, or one folder down as in `cd svc && pytest`)."""
    configured = config.get("tool", {}).get("workbench", {}).get("test-dir")
    if configured:
        folder = (root / str(configured)).resolve()
        if not folder.is_dir():
            raise DiscoveryError(f"[tool.workbench] test-dir = {configured!r}: no such folder")
        return _rel(folder, root).rstrip("/") or ".", "[tool.workbench] test-dir"
    if _pytest_config(root, config):
        moved = _addopts_folder(root, config)
        if moved:
            return moved
        return ".", "where its pytest configuration is"
    for child in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in SKIPPED_DIRS):
        if _pytest_config(child, _pyproject_quiet(child)):
            return child.name, f"where its pytest configuration is ({child.name}/)"
    return ".", "the project's root"


def _addopts_folder(root: Path, config: dict) -> tuple[str, str] | None:
    """A folder one level down where the paths in `addopts` exist when they do not at the
    root: fastapi-nano's `addopts = "... tests/"` is meant for `cd svc && pytest`."""
    addopts = config.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("addopts")
    words = addopts.split() if isinstance(addopts, str) else list(addopts or [])
    paths = [w for w in words if not w.startswith("-") and ("/" in w or w.startswith("test"))]
    missing = [w for w in paths if not (root / w).exists()]
    if not missing:
        return None
    for child in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in SKIPPED_DIRS):
        if all((child / w).exists() for w in missing):
            return child.name, f"addopts names {' '.join(missing)}, which is in {child.name}/"
    return None


def _pyproject_quiet(root: Path) -> dict:
    try:
        return _pyproject(root)
    except DiscoveryError:
        return {}


def _pyproject(root: Path) -> dict:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DiscoveryError(f"{path} is not valid TOML: {exc}") from None


def _locate_app(root: Path, config: dict) -> tuple[str, str, bool, Path, str]:
    tool = config.get("tool", {})
    configured = tool.get("workbench", {}).get("app")
    source = "[tool.workbench] app"
    if not configured and tool.get("fastapi", {}).get("entrypoint"):
        configured, source = tool["fastapi"]["entrypoint"], "[tool.fastapi] entrypoint"
    if configured:
        return _configured(root, str(configured), source)
    tried: list[str] = []
    for rel, import_root in _candidates(root):
        tried.append(rel)
        path = root / rel
        if not path.is_file():
            continue
        found = app_attribute(path)
        if found is None:
            continue
        attr, factory = found
        module = _module_name(path, import_root)
        module, import_root, note = _package_for_relative_imports(path, module, import_root)
        return module, attr, factory, import_root, f"found by convention: {rel}{note}"
    raise DiscoveryError(
        f"no FastAPI app found in {root}: none of {', '.join(tried)} assigns a FastAPI() "
        f"instance or defines {'/'.join(f + '()' for f in FACTORIES[:3])}. To use this "
        f"project, {HOW_TO_SET}"
    )


def _relative_level(path: Path) -> int:
    """The deepest `from .` level of a module's imports (0: only absolute imports)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, OSError, UnicodeDecodeError):
        return 0
    return max((n.level for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)), default=0)


def _package_for_relative_imports(
    path: Path, module: str, import_root: Path
) -> tuple[str, Path, str]:
    """Where a module must be imported from for its relative imports to resolve.

    `main.py` with `from .api import router` in a folder that is a package (the baseline's
    `sandbox_app/`) is `sandbox_app.main`, imported from the folder above: as `main` its
    relative imports have no parent package. Unchanged when the imports resolve as found.
    """
    depth = module.count(".") + (1 if path.name == "__init__.py" else 0)
    missing = _relative_level(path) - depth
    if missing <= 0:
        return module, import_root, ""
    parts: list[str] = []
    for _ in range(missing):
        if not (import_root / "__init__.py").is_file() or not import_root.name.isidentifier():
            raise DiscoveryError(
                f"{path.name} uses relative imports (`from {'.' * (depth + missing)} ...`) that "
                f"reach above {import_root}, which is not a package it can be imported from; "
                f"{HOW_TO_SET}"
            )
        parts.insert(0, import_root.name)
        import_root = import_root.parent
    package = ".".join(parts)
    note = f"; its relative imports need the package {package!r}, imported from the folder above"
    return f"{package}.{module}", import_root, note


def _configured(root: Path, ref: str, source: str) -> tuple[str, str, bool, Path, str]:
    module, sep, attr = ref.strip().partition(":")
    attr = attr.strip()
    factory = attr.endswith("()")
    attr = attr.removesuffix("()")
    if not sep or not module or not attr.isidentifier():
        raise DiscoveryError(
            f'{source} = "{ref}" is not of the form "module:attr"; {HOW_TO_SET}'.rstrip()
        )
    for import_root in (root, root / "src"):
        base = import_root / Path(*module.split("."))
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
            if not factory:
                found = app_attribute(path, wanted=attr)
                factory = bool(found and found[1])
            return module, attr, factory, import_root, f"from pyproject.toml {source}"
    raise DiscoveryError(
        f'{source} = "{ref}" names module {module!r}, but there is no {module.replace(".", "/")}'
        f".py under {root} or {root / 'src'}"
    )


def _candidates(root: Path) -> list[tuple[str, Path]]:
    found = [(rel, root) for rel in CONVENTIONS]
    src = root / "src"
    if src.is_dir():
        for package in sorted(p for p in src.iterdir() if (p / "__init__.py").is_file()):
            for name in ("main.py", "app.py", "api.py"):
                found.append((f"src/{package.name}/{name}", src))
    for package in sorted(p for p in root.iterdir() if (p / "__init__.py").is_file()):
        if package.name in ("app", "api", "tests", "test") or package.name.startswith("."):
            continue
        found.append((f"{package.name}/main.py", root))
    return found


def _module_name(path: Path, import_root: Path) -> str:
    parts = list(path.relative_to(import_root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def app_attribute(path: Path, wanted: str | None = None) -> tuple[str, bool] | None:
    """(attribute, is_factory) of the FastAPI app a module defines, read from its syntax tree."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return None
    assigned: dict[str, bool] = {}  # name -> assigned a FastAPI(...) call
    functions: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.add(node.name)
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for target in targets:
            if isinstance(target, ast.Name):
                assigned[target.id] = _is_fastapi_call(value)
    if wanted is not None:
        if wanted in assigned:
            return wanted, False
        return (wanted, True) if wanted in functions else None
    for name in APP_NAMES:
        if name in assigned:
            return name, False
    for name, is_app in assigned.items():
        if is_app:
            return name, False
    for name in FACTORIES:
        if name in functions:
            return name, True
    return None


def _is_fastapi_call(value: ast.expr | None) -> bool:
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "FastAPI"


def python_files(root: Path):
    """The project's own .py files (virtualenvs, caches and dependencies left out)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            if name.endswith(".py"):
                yield Path(dirpath) / name


def _tests(root: Path, config: dict) -> list[str]:
    configured = config.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("testpaths")
    if isinstance(configured, str):  # `testpaths = "tests"` is one path (pytest splits on spaces)
        configured = configured.split()
    if configured:
        return [str(p) for p in configured]
    folders = set()
    for path in python_files(root):
        if path.name.startswith("test_") or path.name.endswith("_test.py"):
            folders.add(path.parent.relative_to(root).as_posix())
    # A folder under `tests/` stands for `tests/` itself (tests/api/routes -> tests).
    cut = set()
    for folder in folders:
        parts = folder.split("/")
        index = next((i for i, p in enumerate(parts) if p in ("tests", "test")), None)
        cut.add("/".join(parts[: index + 1]) if index is not None else folder)
    folders = cut
    # The outermost folders that hold tests (tests/, not tests/api/routes/ as well).
    outer = sorted(f for f in folders if not any(f.startswith(g + "/") for g in folders if g != f))
    return [f + "/" if f != "." else "./" for f in outer]


def _pytest_config(root: Path, config: dict) -> str | None:
    for name in ("pytest.ini", ".pytest.ini"):
        if (root / name).is_file():
            return name
    if "ini_options" in config.get("tool", {}).get("pytest", {}):
        return "pyproject.toml [tool.pytest.ini_options]"
    for name, section in (("tox.ini", "[pytest]"), ("setup.cfg", "[tool:pytest]")):
        path = root / name
        if path.is_file() and section in path.read_text(encoding="utf-8", errors="replace"):
            return f"{name} {section}"
    return None


def env_files_of(root: Path) -> list[Path]:
    """`.env` in the project and, for a project inside a git repository, at the repository's
    top (the full-stack template's backend reads `../.env`); the closest first."""
    found = [root / ".env"] if (root / ".env").is_file() else []
    found += [root / rel for rel in env_files_in_tree(root) if rel != ".env"]
    top = git_toplevel(root)
    if top is not None and top != root and (top / ".env").is_file():
        found.append(top / ".env")
    return found


def is_env_file(name: str) -> bool:
    """`.env`, `.env.local`, ... but not the shareable `.env.example` / `.sample` / `.template`."""
    if name != ".env" and not name.startswith(".env."):
        return False
    return not name.endswith((".example", ".sample", ".template", ".dist"))


def env_files_in_tree(root: Path) -> list[str]:
    """Every `.env` (`.env.local`, ...) below the project's root, relative and sorted: the
    ones git ignores or tracks in a repository, each one found elsewhere (`src/.env` is the
    FastAPI boilerplate's documented place)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and d != "frontend"]
        for name in filenames:
            if is_env_file(name):
                found.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(found)


def read_env_files(paths: list[Path]) -> dict[str, str]:
    """The values the env files set (the closest file wins), as the app would read them."""
    from dotenv import dotenv_values

    values: dict[str, str] = {}
    for path in reversed(paths):
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    return values


def _database_url(env_files: list[Path]) -> tuple[str | None, str]:
    values = {**read_env_files(env_files), **os.environ}
    for key in DATABASE_KEYS:
        if values.get(key):
            return values[key], key
    server = values.get("POSTGRES_SERVER") or values.get("POSTGRES_HOST")
    if server:
        user, password = values.get("POSTGRES_USER", "postgres"), values.get("POSTGRES_PASSWORD")
        auth = f"{user}:{password}" if password else user
        port, db = values.get("POSTGRES_PORT", "5432"), values.get("POSTGRES_DB", "")
        parts = ", ".join(k for k in sorted(values) if k.startswith("POSTGRES_"))
        return f"postgresql://{auth}@{server}:{port}/{db}", f"assembled from {parts}"
    return None, ""


def _git(root: Path, *args: str) -> str | None:
    from .git_command import run_git

    try:
        done = run_git(root, args, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_toplevel(root: Path) -> Path | None:
    top = _git(root, "rev-parse", "--show-toplevel")
    return Path(top).resolve() if top else None


def git_state(root: Path) -> dict[str, str] | None:
    """Branch, commit, uncommitted changes and the project's folder in its repository."""
    top = git_toplevel(root)
    commit = _git(root, "rev-parse", "HEAD") if top else None
    if top is None or commit is None:
        return None
    status = _git(root, "status", "--porcelain", "--untracked-files=normal", "--", ".") or ""
    subdir = root.relative_to(top).as_posix()
    return {
        "toplevel": str(top),
        "subdir": "" if subdir == "." else subdir,
        "branch": _git(root, "rev-parse", "--abbrev-ref", "HEAD") or "HEAD",
        "commit": commit,
        "dirty": str(len([line for line in status.splitlines() if line.strip()])),
    }
