"""The warm pytest server: runs forked from pre-imported pytest, with a subprocess's guarantees."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from agent_kernel.project import pytest_server
from agent_kernel.tools.run_tests import run_pytest

PARENT_PROBE = "import os\n\ndef test_parent():\n    open({out!r}, 'w').write(str(os.getppid()))\n"


@pytest.fixture
def warm(monkeypatch):
    """A server of this test's own (its own socket folder), and a fresh client state.

    These tests look at the server's own mechanics (parents, CPUs, files a run writes where
    the test reads them), so their runs are not sandboxed; tests/kernel/test_sandbox.py runs
    the same kills and timeouts sandboxed.
    """
    monkeypatch.setenv("WORKBENCH_SANDBOX", "off")
    folder = tempfile.mkdtemp(prefix="wbps-")  # short: a socket path has a length limit
    monkeypatch.setenv(pytest_server.SOCKET_DIR_ENV, folder)
    monkeypatch.delenv(pytest_server.ENABLE_ENV, raising=False)
    client = pytest_server.WarmPytest()
    monkeypatch.setattr(pytest_server, "WARM", client)
    yield client
    pid = server_pid()
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def write_long_test(workspace, started: Path) -> None:
    """tests/test_long.py: writes its pid to `started`, then sleeps for ten minutes."""
    (workspace.root / "tests/test_long.py").write_text(
        "import os, time\n\n"
        "def test_long():\n"
        f"    open({str(started)!r}, 'w').write(str(os.getpid()))\n"
        "    time.sleep(600)\n"
    )


def server_pid() -> int | None:
    pid_file = pytest_server.server_address().with_suffix(".pid")
    return int(pid_file.read_text()) if pid_file.exists() else None


def parent_of_run(workspace, tmp_path: Path) -> int:
    out = tmp_path / "ppid.txt"
    (workspace.root / "tests/test_parent.py").write_text(PARENT_PROBE.format(out=str(out)))
    assert run_pytest(workspace, "tests/test_parent.py").passed
    return int(out.read_text())


def test_runs_are_forked_from_one_warm_server(workspace, tmp_path, warm):
    first = parent_of_run(workspace, tmp_path)
    second = parent_of_run(workspace, tmp_path)

    assert first == second == server_pid()
    assert first != os.getpid()
    assert b"agent_kernel/project/pytest_server.py" in Path(f"/proc/{first}/cmdline").read_bytes()


def test_a_run_stays_on_one_cpu_unless_told_otherwise(workspace, tmp_path, warm, monkeypatch):
    """Its threads share one CPU (TestClient's thread hops are cheaper there); 0 lifts it."""
    available = os.sched_getaffinity(0)
    out = tmp_path / "cpus.txt"
    (workspace.root / "tests/test_affinity.py").write_text(
        "import os\n\n"
        "def test_affinity():\n"
        f"    open({str(out)!r}, 'w').write(' '.join(map(str, os.sched_getaffinity(0))))\n"
    )

    def cpus_of_a_run() -> set[int]:
        assert run_pytest(workspace, "tests/test_affinity.py").passed
        return {int(cpu) for cpu in out.read_text().split()}

    pinned = cpus_of_a_run()
    assert len(pinned) == 1 and pinned <= available
    monkeypatch.setenv(pytest_server.PIN_ENV, "0")
    assert cpus_of_a_run() == available


def test_other_processes_share_the_server(workspace, tmp_path, warm):
    mine = parent_of_run(workspace, tmp_path)
    out = tmp_path / "other.txt"
    script = (
        "from agent_kernel.tools.run_tests import run_pytest\n"
        "from agent_kernel.project.workspace import Workspace\n"
        f"assert run_pytest(Workspace({str(workspace.root)!r}), 'tests/test_parent.py').passed\n"
    )
    (workspace.root / "tests/test_parent.py").write_text(PARENT_PROBE.format(out=str(out)))
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)

    assert int(out.read_text()) == mine


def test_each_run_starts_clean_and_sees_the_latest_edit(workspace, warm):
    (workspace.root / "counter.py").write_text("count = 0\nVERSION = 1\n")
    (workspace.root / "tests/test_counter.py").write_text(
        "import counter\n\n"
        "def test_counts_once():\n"
        "    counter.count += 1\n"
        "    assert counter.count == 1\n\n"
        "def test_version():\n"
        "    assert counter.VERSION == int(open('expected.txt').read())\n"
    )
    (workspace.root / "expected.txt").write_text("1")
    assert run_pytest(workspace, "tests/test_counter.py").passed
    (workspace.root / "counter.py").write_text("count = 0\nVERSION = 2\n")
    (workspace.root / "expected.txt").write_text("2")

    run = run_pytest(workspace, "tests/test_counter.py")
    assert run.passed, run.output
    assert run.counts == {"passed": 2}


def test_a_failing_run_reads_as_it_would_in_a_subprocess(workspace, warm, monkeypatch):
    (workspace.root / "tests/test_bad.py").write_text(
        "def test_bad():\n    assert 1 + 1 == 3\n\ndef test_good():\n    pass\n"
    )
    warm_run = run_pytest(workspace, "tests/test_bad.py")
    monkeypatch.setenv(pytest_server.ENABLE_ENV, "0")
    plain = run_pytest(workspace, "tests/test_bad.py")

    expected = (1, {"failed": 1, "passed": 1})
    assert (warm_run.exit_code, warm_run.counts) == (plain.exit_code, plain.counts) == expected
    for run in (warm_run, plain):
        assert "assert (1 + 1) == 3" in run.output  # asserts are still rewritten
        assert "warning" not in run.output.lower()


def test_neither_the_run_nor_the_server_holds_a_secret(workspace, tmp_path, warm, monkeypatch):
    canary = "sk-ant-api03-" + os.urandom(12).hex()
    monkeypatch.setenv("ANTHROPIC_API_KEY", canary)
    dump = tmp_path / "environ.bin"
    (workspace.root / "tests/test_environ.py").write_text(
        "import os\n\n"
        "def test_dump():\n"
        "    own = open('/proc/self/environ', 'rb').read()\n"
        "    server = open(f'/proc/{os.getppid()}/environ', 'rb').read()\n"
        f"    open({str(dump)!r}, 'wb').write(own + server + repr(os.environ).encode())\n"
    )
    assert run_pytest(workspace, "tests/test_environ.py").passed
    seen = dump.read_bytes()
    assert seen and canary.encode() not in seen
    assert server_pid()


def test_a_timeout_kills_the_run_and_its_children_and_the_server_serves_on(
    workspace, tmp_path, warm
):
    grandchild = tmp_path / "grandchild.pid"
    (workspace.root / "tests/test_hang.py").write_text(
        "import subprocess, sys, time\n\n"
        "def test_hang():\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"    open({str(grandchild)!r}, 'w').write(str(child.pid))\n"
        "    time.sleep(600)\n"
    )
    run = run_pytest(workspace, "tests/test_hang.py", timeout=8)  # time for a loaded machine

    assert run.timed_out and run.exit_code is None
    assert not _running(int(grandchild.read_text()))
    assert parent_of_run(workspace, tmp_path) == server_pid()


def test_a_caller_that_goes_away_takes_its_run_with_it(workspace, tmp_path, warm):
    started = tmp_path / "started.pid"
    write_long_test(workspace, started)
    script = (
        "from agent_kernel.tools.run_tests import run_pytest\n"
        "from agent_kernel.project.workspace import Workspace\n"
        f"run_pytest(Workspace({str(workspace.root)!r}), 'tests/test_long.py', timeout=600)\n"
    )
    caller = subprocess.Popen([sys.executable, "-c", script])
    try:
        _wait_for(started.exists, "the run to start")
        run_pid = int(started.read_text())
        assert _running(run_pid, settle=0)
        caller.kill()
        caller.wait()
        assert not _running(run_pid)
    finally:
        caller.kill()


def test_a_server_found_dead_is_replaced(workspace, tmp_path, warm):
    first = parent_of_run(workspace, tmp_path)
    os.kill(first, signal.SIGKILL)
    _wait_for(lambda: not _running(first, settle=0), "the server to die")

    second = parent_of_run(workspace, tmp_path)

    assert second == server_pid() and second != first
    assert warm.failures == 0


def test_a_server_dying_mid_run_is_counted_and_the_run_done_plainly(workspace, tmp_path, warm):
    out = tmp_path / "ppid.txt"
    (workspace.root / "tests/test_kill.py").write_text(
        "import os, signal\n\n"
        "def test_kill_the_server():\n"
        "    parent = os.getppid()\n"
        "    if b'project/pytest_server.py' in open(f'/proc/{parent}/cmdline', 'rb').read():\n"
        "        os.kill(parent, signal.SIGKILL)\n"
        f"    open({str(out)!r}, 'w').write(str(parent))\n"
    )
    run = run_pytest(workspace, "tests/test_kill.py")

    assert run.passed, run.output
    assert int(out.read_text()) == os.getpid()  # the plain run wrote last
    assert warm.failures == 1


def test_parallel_runs_share_the_server(workspace, tmp_path, warm):
    (workspace.root / "tests/test_slow.py").write_text(
        "import os, time\n\ndef test_slow():\n    time.sleep(1.5)\n    print(os.getppid())\n"
    )
    runs = []
    threads = [
        threading.Thread(
            target=lambda: runs.append(run_pytest(workspace, "tests/test_slow.py::test_slow"))
        )
        for _ in range(3)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [run.passed for run in runs] == [True, True, True]
    assert time.monotonic() - started < 4.5 + 3  # side by side, not one after another
    assert parent_of_run(workspace, tmp_path) == server_pid()


def test_switched_off_it_runs_plain_subprocesses(workspace, tmp_path, warm, monkeypatch):
    monkeypatch.setenv(pytest_server.ENABLE_ENV, "0")
    warm.prestart()

    assert parent_of_run(workspace, tmp_path) == os.getpid()
    assert server_pid() is None


def test_the_server_leaves_once_its_callers_are_gone(workspace, tmp_path, monkeypatch):
    folder = tempfile.mkdtemp(prefix="wbps-")
    env = {**os.environ, pytest_server.SOCKET_DIR_ENV: folder, pytest_server.GRACE_ENV: "0.5"}
    env.pop(pytest_server.ENABLE_ENV, None)
    env["WORKBENCH_SANDBOX"] = "off"  # the probe writes its parent's pid where we read it
    out = tmp_path / "ppid.txt"
    (workspace.root / "tests/test_parent.py").write_text(PARENT_PROBE.format(out=str(out)))
    script = (
        "from agent_kernel.tools.run_tests import run_pytest\n"
        "from agent_kernel.project.workspace import Workspace\n"
        f"assert run_pytest(Workspace({str(workspace.root)!r}), 'tests/test_parent.py').passed\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=120)
    server = int(out.read_text())
    assert b"agent_kernel/project/pytest_server.py" in Path(f"/proc/{server}/cmdline").read_bytes()

    _wait_for(lambda: not _running(server, settle=0), "the idle server to exit", limit=15)
    monkeypatch.setenv(pytest_server.SOCKET_DIR_ENV, folder)
    assert not pytest_server.server_address().exists()


def _wait_for(condition, what: str, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _running(pid: int, settle: float = 5) -> bool:
    """True while the process exists and is not a zombie; waits up to `settle` for it to go."""
    deadline = time.monotonic() + settle
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            return False
        if state in ("Z", "X"):
            return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.1)


@pytest.mark.parametrize("warm_on", ["1", "0"], ids=["warm", "plain"])
def test_cancel_kills_a_run_at_once(workspace, tmp_path, warm, monkeypatch, warm_on):
    monkeypatch.setenv(pytest_server.ENABLE_ENV, warm_on)
    started = tmp_path / "started.pid"
    write_long_test(workspace, started)
    cancel = threading.Event()
    runs = []
    worker = threading.Thread(
        target=lambda: runs.append(
            run_pytest(workspace, "tests/test_long.py", timeout=300, cancel=cancel)
        )
    )
    worker.start()
    _wait_for(started.exists, "the run to start")
    clock = time.monotonic()
    cancel.set()
    worker.join(30)

    [run] = runs
    assert time.monotonic() - clock < 5
    assert run.stopped and not run.timed_out and run.exit_code is None and not run.passed
    assert run.header().startswith("stopped")
    assert not _running(int(started.read_text()))


def test_the_kernel_imports_its_stack_while_a_warm_run_goes_on(workspace, tmp_path, warm):
    from agent_kernel.project import warmup

    name = "wb_warm_probe_" + str(os.getpid())
    (tmp_path / f"{name}.py").write_text("import time\nIMPORTED_AT = time.time()\n")
    sys.path.insert(0, str(tmp_path))
    finished = tmp_path / "finished.txt"
    (workspace.root / "tests/test_slow.py").write_text(
        "import time\n\n"
        "def test_slow():\n"
        "    time.sleep(0.5)\n"
        f"    open({str(finished)!r}, 'w').write(repr(time.time()))\n"
    )
    try:
        warmup.enable((name,))
        assert run_pytest(workspace, "tests/test_slow.py").passed
        assert name in sys.modules
        assert float(finished.read_text()) > sys.modules[name].IMPORTED_AT
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
        warmup.enable(())
