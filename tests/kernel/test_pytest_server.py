"""The warm pytest server: runs forked from pre-imported pytest, with a subprocess's guarantees."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from agent_kernel import pytest_server
from agent_kernel.tools.run_tests import run_pytest

PARENT_PROBE = "import os\n\ndef test_parent():\n    open({out!r}, 'w').write(str(os.getppid()))\n"


@pytest.fixture
def pool(monkeypatch):
    """A pool of this test's own, in place of the process-wide one."""
    monkeypatch.delenv(pytest_server.ENABLE_ENV, raising=False)
    fresh = pytest_server.ServerPool()
    monkeypatch.setattr(pytest_server, "POOL", fresh)
    yield fresh
    fresh.close()


def parent_of_run(workspace, tmp_path: Path) -> int:
    out = tmp_path / "ppid.txt"
    (workspace.root / "tests/test_parent.py").write_text(PARENT_PROBE.format(out=str(out)))
    assert run_pytest(workspace, "tests/test_parent.py").passed
    return int(out.read_text())


def server_pids(pool: pytest_server.ServerPool) -> list[int]:
    return [server.process.pid for server in pool._all]


def test_runs_are_forked_from_one_warm_server(workspace, tmp_path, pool):
    first = parent_of_run(workspace, tmp_path)
    second = parent_of_run(workspace, tmp_path)

    assert server_pids(pool) == [first] == [second]
    assert first != os.getpid()


def test_each_run_starts_clean_and_sees_the_latest_edit(workspace, pool):
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
    assert len(server_pids(pool)) == 1


def test_a_failing_run_reads_as_it_would_in_a_subprocess(workspace, pool, monkeypatch):
    (workspace.root / "tests/test_bad.py").write_text(
        "def test_bad():\n    assert 1 + 1 == 3\n\ndef test_good():\n    pass\n"
    )
    warm = run_pytest(workspace, "tests/test_bad.py")
    monkeypatch.setenv(pytest_server.ENABLE_ENV, "0")
    plain = run_pytest(workspace, "tests/test_bad.py")

    assert (
        (warm.exit_code, warm.counts)
        == (plain.exit_code, plain.counts)
        == (1, {"failed": 1, "passed": 1})
    )
    for run in (warm, plain):
        assert "assert (1 + 1) == 3" in run.output  # asserts are still rewritten
        assert "warning" not in run.output.lower()


def test_neither_the_run_nor_the_server_holds_a_secret(workspace, tmp_path, pool, monkeypatch):
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
    assert server_pids(pool)


def test_a_timeout_kills_the_run_and_its_children_and_the_server_serves_on(
    workspace, tmp_path, pool
):
    grandchild = tmp_path / "grandchild.pid"
    (workspace.root / "tests/test_hang.py").write_text(
        "import subprocess, sys, time\n\n"
        "def test_hang():\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"    open({str(grandchild)!r}, 'w').write(str(child.pid))\n"
        "    time.sleep(600)\n"
    )
    run = run_pytest(workspace, "tests/test_hang.py", timeout=3)

    assert run.timed_out and run.exit_code is None
    assert not _running(int(grandchild.read_text()))
    before = server_pids(pool)
    assert parent_of_run(workspace, tmp_path) in before
    assert server_pids(pool) == before


def test_a_server_found_dead_is_replaced(workspace, tmp_path, pool):
    pool.prestart()
    [dead] = pool._all
    dead.process.kill()
    dead.process.wait()

    parent = parent_of_run(workspace, tmp_path)

    assert server_pids(pool) == [parent] and parent != dead.process.pid
    assert pool.failures == 0


def test_a_server_dying_mid_run_is_dropped_and_the_run_done_plainly(workspace, tmp_path, pool):
    out = tmp_path / "ppid.txt"
    (workspace.root / "tests/test_kill.py").write_text(
        "import os, signal\n\n"
        "def test_kill_the_server():\n"
        "    parent = os.getppid()\n"
        "    if b'agent_kernel.pytest_server' in open(f'/proc/{parent}/cmdline', 'rb').read():\n"
        "        os.kill(parent, signal.SIGKILL)\n"
        f"    open({str(out)!r}, 'w').write(str(parent))\n"
    )
    pool.prestart()
    [server] = pool._all

    run = run_pytest(workspace, "tests/test_kill.py")

    assert run.passed, run.output
    assert int(out.read_text()) == os.getpid()  # the plain run wrote last
    assert pool.failures == 1 and server not in pool._all


def test_parallel_runs_each_get_a_server(workspace, tmp_path, pool):
    (workspace.root / "tests/test_slow.py").write_text(
        "import time\n\ndef test_slow():\n    time.sleep(1.5)\n"
    )
    runs = []
    threads = [
        threading.Thread(target=lambda: runs.append(run_pytest(workspace, "tests/test_slow.py")))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [run.passed for run in runs] == [True, True]
    assert len(server_pids(pool)) == 2


def test_switched_off_it_runs_plain_subprocesses(workspace, tmp_path, pool, monkeypatch):
    monkeypatch.setenv(pytest_server.ENABLE_ENV, "0")
    pool.prestart()

    assert parent_of_run(workspace, tmp_path) == os.getpid()
    assert server_pids(pool) == []


def _running(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.1)
    return True
