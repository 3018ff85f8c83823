"""Workspace code is compiled from source: a .pyc that an edit in the same second outdated
is never run, by a test run (warm or plain) or by a live check."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import py_compile
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from agent_kernel.project import pytest_server
from agent_kernel.project.live_check import forget_package, import_workspace_package
from agent_kernel.tools.run_tests import run_pytest

ROUTE_V1 = "STATUS = 200\n"
ROUTE_V2 = "STATUS = 201\n"  # the same size: only the contents tell the versions apart


def cache_then_edit_in_the_same_second(source: Path, old: str, new: str) -> Path:
    """`source` holds `new`, beside a .pyc of `old` that Python's checks take as current.

    What an import that cached the file, followed within its second by a same-size edit,
    leaves behind; the modification time is pinned so that the test does not race the clock.
    """
    assert len(old) == len(new)
    source.write_text(old)
    pyc = Path(importlib.util.cache_from_source(str(source)))
    py_compile.compile(str(source), cfile=str(pyc), doraise=True)
    stamp = source.stat()
    source.write_text(new)
    os.utime(source, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    return pyc


def plain_import(root: Path, module: str, attribute: str) -> str:
    """What a bare interpreter in `root` imports: the control that shows the stale .pyc."""
    code = f"import {module}; print({module}.{attribute})"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture
def stale_module(workspace):
    """sandbox_app/status.py says 201; its .pyc, still taken as current, says 200."""
    source = workspace.root / "sandbox_app" / "status.py"
    pyc = cache_then_edit_in_the_same_second(source, ROUTE_V1, ROUTE_V2)
    assert plain_import(workspace.root, "sandbox_app.status", "STATUS") == "200"
    (workspace.root / "tests" / "test_status.py").write_text(
        "from sandbox_app.status import STATUS\n\n"
        "def test_status_is_the_edited_one():\n"
        "    assert STATUS == 201\n"
    )
    return pyc


@pytest.fixture
def warm(monkeypatch):
    """A warm server of this test's own."""
    folder = tempfile.mkdtemp(prefix="wbso-")  # short: a socket path has a length limit
    monkeypatch.setenv(pytest_server.SOCKET_DIR_ENV, folder)
    monkeypatch.delenv(pytest_server.ENABLE_ENV, raising=False)
    monkeypatch.setattr(pytest_server, "WARM", pytest_server.WarmPytest())
    yield
    pid_file = pytest_server.server_address().with_suffix(".pid")
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


@pytest.mark.parametrize("warm_on", ["1", "0"], ids=["warm", "plain"])
def test_a_test_run_runs_the_edited_source_not_its_stale_pyc(
    workspace, stale_module, warm, monkeypatch, warm_on
):
    monkeypatch.setenv(pytest_server.ENABLE_ENV, warm_on)
    before = stale_module.read_bytes()

    run = run_pytest(workspace, "tests/test_status.py")

    assert run.passed, run.output
    assert stale_module.read_bytes() == before  # neither read nor rewritten


def test_a_live_check_imports_the_edited_source_not_its_stale_pyc(workspace, stale_module):
    before = stale_module.read_bytes()

    name, _app = import_workspace_package(workspace.root)
    try:
        status = importlib.import_module(f"{name}.status")
        assert status.STATUS == 201
    finally:
        forget_package(name)
    assert stale_module.read_bytes() == before


def test_a_live_check_writes_no_pyc_a_later_run_could_trust(workspace, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as in a kernel started by Jupyter
    name, _app = import_workspace_package(workspace.root)
    forget_package(name)

    assert not list(workspace.root.rglob("*.pyc"))


def test_only_code_under_the_workspace_is_compiled_from_source(workspace, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    cache_then_edit_in_the_same_second(outside / "lib_status.py", ROUTE_V1, ROUTE_V2)
    code = (
        "import sys\n"
        "from agent_kernel.project import source_only\n"
        f"source_only.install({str(workspace.root)!r})\n"
        f"sys.path.insert(0, {str(outside)!r})\n"
        "import lib_status\n"
        "print(lib_status.STATUS)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert done.stdout.strip() == "200", done.stderr  # Python's own caching, as everywhere else
