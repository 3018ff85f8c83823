"""The baseline imports under any package name: the workbench loads each workspace copy
fresh under its own name, so `sandbox_app` must use relative imports only."""

import ast
import importlib
import importlib.util
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

import sandbox_app
from sandbox_app.core import config

PACKAGE_DIR = Path(sandbox_app.__file__).resolve().parent


def copy_package(destination_root: Path, name: str) -> Path:
    target = destination_root / name
    shutil.copytree(PACKAGE_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def import_fresh(package_dir: Path, name: str) -> ModuleType:
    """Import a package directory under `name` and return its `main` module."""
    spec = importlib.util.spec_from_file_location(
        name, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return importlib.import_module(f"{name}.main")


@pytest.fixture
def relocated(clean_env: Path) -> Iterator[tuple[str, Path]]:
    """A fresh package name; its modules are dropped from sys.modules afterwards."""
    name = f"relocated_app_{uuid.uuid4().hex[:8]}"
    yield name, clean_env
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        engine_cache = getattr(sys.modules[module], "get_engine", None)
        if module.endswith(".core.db") and engine_cache and engine_cache.cache_info().currsize:
            engine_cache().dispose()
        del sys.modules[module]


def test_copy_under_a_new_name_serves_health(relocated, monkeypatch) -> None:
    name, root = relocated
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{root / 'relocated.db'}")
    main = import_fresh(copy_package(root, name), name)

    app = main.create_app()
    with TestClient(app) as client:
        response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}
    assert (root / "relocated.db").exists()
    # Everything came from the copy: its own modules and its own cached settings.
    assert {m for m in sys.modules if m.startswith(f"{name}.")} >= {
        f"{name}.main",
        f"{name}.core.config",
        f"{name}.core.db",
        f"{name}.api.routes.health",
    }
    assert main.get_settings is not config.get_settings
    assert Path(main.__file__).is_relative_to(root)


def test_copy_keeps_its_default_database_in_its_own_workspace(relocated) -> None:
    name, root = relocated
    main = import_fresh(copy_package(root, name), name)
    relocated_config = sys.modules[f"{name}.core.config"]

    database = Path(make_url(relocated_config.get_settings().database_url).database)
    assert database == root / "sandbox.db"
    with TestClient(main.create_app()) as client:
        assert client.get("/api/health").status_code == 200
    assert database.exists(), "the copy's database sits beside the copy"


def test_copy_works_with_the_original_package_unimportable(tmp_path: Path) -> None:
    """A fresh interpreter where `import sandbox_app` fails still runs a relocated copy."""
    name = f"relocated_app_{uuid.uuid4().hex[:8]}"
    package_dir = copy_package(tmp_path, name)
    script = textwrap.dedent(
        f"""
        import importlib, importlib.util, sys
        sys.modules["sandbox_app"] = None  # any absolute import of it now fails
        spec = importlib.util.spec_from_file_location(
            {name!r}, {str(package_dir / "__init__.py")!r},
            submodule_search_locations=[{str(package_dir)!r}],
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[{name!r}] = package
        spec.loader.exec_module(package)
        main = importlib.import_module({name + ".main"!r})
        from fastapi.testclient import TestClient
        with TestClient(main.create_app()) as client:
            response = client.get("/api/health")
        print(response.status_code, response.json()["status"])
        """
    )
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'sub.db'}"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "ok"]


def test_no_module_imports_sandbox_app_absolutely() -> None:
    offenders = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for module in names:
                if module.split(".")[0] in {"sandbox_app", "agent_kernel"}:
                    rel = path.relative_to(PACKAGE_DIR.parent)
                    offenders.append(f"{rel}:{node.lineno} imports {module}")
    assert offenders == [], "use relative imports inside sandbox_app:\n" + "\n".join(offenders)
    assert len(list(PACKAGE_DIR.rglob("*.py"))) >= 8, "the scan saw the whole package"
