"""Live checks: the workspace app, imported fresh, wrapped in a FastAPI TestClient.

Each load imports the workspace package under a new module name, so the client always
reflects the latest files and never mixes with an earlier copy. Import and startup run in a
worker thread with a timeout: an app that fails or hangs gives a clear `AppLoadError` and
the kernel lives on (an endless loop is interrupted by an asynchronous exception).
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import itertools
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from . import source_only

PACKAGE = "sandbox_app"
_counter = itertools.count(1)


class AppLoadError(RuntimeError):
    """The workspace app could not be imported or started; the message says why."""


class _Abandoned(BaseException):
    """Raised inside a worker thread that overran its timeout."""


def fresh_module_name(root: Path) -> str:
    return f"_workbench_app_{abs(hash(str(root))) % 10**8}_{next(_counter)}"


def import_workspace_app(root: Path, *, package: str = PACKAGE) -> Any:
    """Import `<root>/<package>` under a fresh name and return its FastAPI app."""
    return import_workspace_package(root, package=package)[1]


def import_workspace_package(root: Path, *, package: str = PACKAGE) -> tuple[str, Any]:
    """Import `<root>/<package>` under a fresh name; return that name and its FastAPI app."""
    package_dir = Path(root) / package
    init = package_dir / "__init__.py"
    if not init.is_file():
        raise AppLoadError(f"no package at {package_dir} (missing __init__.py)")
    name = fresh_module_name(Path(root))
    source_only.install(root)  # the latest files, never a .pyc an edit in the same second outdated
    spec = importlib.util.spec_from_file_location(
        name,
        init,
        loader=source_only.SourceOnlyLoader(name, str(init)),
        submodule_search_locations=[str(package_dir)],
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        main = importlib.import_module(f"{name}.main")
        factory = getattr(main, "create_app", None)
        app = factory() if callable(factory) else getattr(main, "app", None)
        if app is None:
            raise AppLoadError(f"{package}/main.py defines neither create_app() nor app")
    except BaseException:
        forget_package(name)
        raise
    return name, app


def forget_package(name: str) -> None:
    """Drop a fresh import's modules from `sys.modules`, so nothing keeps that app alive.

    Every load adds a whole copy of the app under a new name; without this, each live check
    of a long session would stay in memory until the kernel exits.
    """
    prefix = name + "."
    for key in [key for key in sys.modules if key == name or key.startswith(prefix)]:
        sys.modules.pop(key, None)


def run_with_timeout(func: Any, timeout: float, what: str) -> Any:
    """Run `func` in a worker thread; a timeout interrupts it and raises AppLoadError."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except _Abandoned:
            return
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=target, name=f"workbench-{what}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        _interrupt(worker)
        worker.join(1.0)
        raise AppLoadError(
            f"the app did not finish {what} within {timeout:.0f} s (an endless loop or a "
            "blocking call at import or startup?); the kernel is fine"
        )
    if "error" in box:
        raise AppLoadError(f"the app failed during {what}: {_describe(box['error'])}") from box[
            "error"
        ]
    return box.get("value")


def _interrupt(thread: threading.Thread) -> None:
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(_Abandoned)
        )


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in reversed(frames):
        if "_workbench_app_" in frame.filename or PACKAGE in frame.filename:
            where = f" at {Path(frame.filename).name}:{frame.lineno}"
            break
    if isinstance(exc, SyntaxError):
        where = f" at {Path(exc.filename or '?').name}:{exc.lineno}"
    return f"{type(exc).__name__}: {exc}{where}"


def open_client(root: Path, *, timeout: float = 15.0, raise_server_exceptions: bool = True) -> Any:
    """A started TestClient on a fresh import of the workspace app (`close_client` it when done)."""
    from fastapi.testclient import TestClient

    name, app = run_with_timeout(lambda: import_workspace_package(Path(root)), timeout, "importing")
    client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
    client.app_package = name  # where `Workbench.app_module` finds this app's own modules
    try:
        run_with_timeout(client.__enter__, timeout, "starting up (lifespan)")
    except AppLoadError:
        forget_package(name)
        raise
    return client


def close_client(client: Any) -> None:
    """Shut the app down (its lifespan's exit) and let its modules go."""
    try:
        client.__exit__(None, None, None)
    finally:
        forget_package(client.app_package)
