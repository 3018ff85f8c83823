"""Live checks of a project with absolute imports: imported fresh in the kernel, then let go.

A project's app imports itself by absolute names (`from app.core.config import settings`), so
it cannot be loaded under a fresh package name as the baseline is. Instead its import root
goes first on `sys.path`, its top-level names are cleared from `sys.modules` (a clash with a
module the kernel already has is set aside and put back afterwards), every module is compiled
from source, and the project's `.env` values (plus `env=`) and its folder as the working
directory are in place while it imports and starts. Closing the check removes every module
whose file lives under the workspace and the path entry: nothing of the project stays in the
kernel, and the next check sees every edit. One project's app is loaded at a time.

Imports this layer's live_check, source_only and discovery modules.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import source_only
from .discovery import DATABASE_KEYS, ProjectInfo, mask_url
from .live_check import AppLoadError, run_with_timeout

_lock = threading.RLock()
_active: dict[str, Any] = {}  # the one project app loaded now: {"root", "stashed", "path"}


def _under(path: str | None, root: str) -> bool:
    # Plain prefixes: the project is imported from its real path, so its modules' files
    # start with it (a realpath per module of the kernel would cost milliseconds a check).
    return bool(path) and (path == root or path.startswith(root + os.sep))


def project_modules(root: Path | str) -> list[str]:
    """Names in `sys.modules` whose file lives under `root`."""
    real = os.path.realpath(root)
    found = []
    for name, module in list(sys.modules.items()):
        spec_file = getattr(module, "__file__", None)
        if _under(spec_file, real):
            found.append(name)
            continue
        if spec_file is None:  # a namespace package has a path but no file
            paths = getattr(module, "__path__", None)
            if paths is not None and any(_under(p, real) for p in list(paths)):
                found.append(name)
    return found


def forget_project(root: Path | str) -> None:
    """Drop the project's modules and path entry, and put back what its names had hidden."""
    with _lock:
        real = os.path.realpath(root)
        for name in project_modules(real):
            sys.modules.pop(name, None)
        state = _active.get("state")
        if state is not None and state["root"] == real:
            with contextlib.suppress(ValueError):
                sys.path.remove(state["path"])
            sys.modules.update(state["stashed"])
            _active.clear()


@contextlib.contextmanager
def project_environment(root: Path, env: dict[str, str]) -> Iterator[None]:
    """The project's folder as working directory and its env values, while it imports and
    starts; both restored afterwards (the kernel's own environment is left as it was)."""
    saved_cwd = os.getcwd()
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def import_project_app(info: ProjectInfo) -> Any:
    """The project's FastAPI app, from a fresh import of its modules (call under `_lock`)."""
    module = importlib.import_module(info.module)
    target = getattr(module, info.attr, None)
    if target is None:
        raise AppLoadError(f"{info.module} has no attribute {info.attr!r} (from {info.found_by})")
    return target() if info.factory else target


def _prepare(info: ProjectInfo) -> None:
    """Path first, clashing names set aside, finders reset: the import that follows is fresh."""
    real = os.path.realpath(info.root)
    state = _active.get("state")
    if state is not None:
        forget_project(state["root"])
    for name in project_modules(real):  # left by a check that was never closed
        sys.modules.pop(name, None)
    import_root = os.path.realpath(info.import_root)
    top_levels = _top_levels(Path(import_root))
    stashed = {}
    for name in list(sys.modules):
        if name.split(".")[0] in top_levels:
            stashed[name] = sys.modules.pop(name)
    sys.path.insert(0, import_root)
    source_only.install(real)
    # Only the finders of the project's folders forget what they listed: a new module file
    # written within the same second as the last listing is then found.
    for path, finder in list(sys.path_importer_cache.items()):
        if isinstance(path, str) and _under(path, real) and finder is not None:
            finder.invalidate_caches()
    _active["state"] = {"root": real, "stashed": stashed, "path": import_root}


def _top_levels(import_root: Path) -> set[str]:
    names = set()
    for entry in import_root.iterdir():
        if entry.suffix == ".py":
            names.add(entry.stem)
        elif entry.is_dir() and entry.name.isidentifier():
            names.add(entry.name)
    return names


def open_project_client(
    info: ProjectInfo,
    env: dict[str, str],
    *,
    timeout: float = 15.0,
    raise_server_exceptions: bool = True,
) -> Any:
    """A started TestClient on a fresh import of the project's app (`close_project_client`)."""
    from fastapi.testclient import TestClient

    with _lock:
        _prepare(info)
        try:
            with project_environment(info.root, env):
                app = run_with_timeout(lambda: _load(info), timeout, "importing")
                client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
                client.app_package = ""  # absolute module names: wb.app_module("app.core.db")
                client.project_root = str(info.root)
                run_with_timeout(client.__enter__, timeout, "starting up (lifespan)")
        except BaseException:
            forget_project(info.root)
            raise
    return client


def _load(info: ProjectInfo) -> Any:
    try:
        return import_project_app(info)
    except AppLoadError:
        raise
    except BaseException as exc:
        hint = explain_failure(exc)
        if hint:
            raise AppLoadError(hint) from exc
        raise


def close_project_client(client: Any) -> None:
    try:
        client.__exit__(None, None, None)
    finally:
        forget_project(client.project_root)


def explain_failure(exc: BaseException) -> str | None:
    """A sentence naming the missing setting or environment variable, when that is the cause."""
    missing = _missing_settings(exc)
    if missing:
        names = ", ".join(missing)
        return (
            f"the app's settings need {names}, which is not set: put it in the project's .env, "
            f"or pass Workbench(project=..., env={{{missing[0]!r}: ...}}) (the app failed while "
            f"importing: {type(exc).__name__})"
        )
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        name = exc.args[0]
        if name.isupper() or name.replace("_", "").isupper():
            return (
                f"the app reads the environment variable {name}, which is not set: put it in "
                f"the project's .env, or pass Workbench(project=..., env={{{name!r}: ...}})"
            )
    text = f"{type(exc).__name__}: {exc}"
    if "OperationalError" in type(exc).__name__ or "could not connect" in text.lower():
        url = next((os.environ[k] for k in DATABASE_KEYS if os.environ.get(k)), None)
        where = f" at {mask_url(url)}" if url else ""
        return (
            f"the app could not reach its database{where} while importing "
            f"({text.splitlines()[0]}); start it, or point the app elsewhere with "
            "env={'DATABASE_URL': ...}"
        )
    return None


def _missing_settings(exc: BaseException) -> list[str]:
    """The fields a pydantic ValidationError reports missing (upper-cased, as env names)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors) or type(exc).__name__ != "ValidationError":
        return []
    try:
        listed = errors()
    except Exception:
        return []
    return [
        ".".join(str(p) for p in error.get("loc", ())).upper()
        for error in listed
        if error.get("type") == "missing"
    ]
