"""Warm pytest: one server with pytest and the app stack imported, forking a child per run.

A fresh `python -m pytest` spends most of its second importing pytest, FastAPI, SQLAlchemy
and Pydantic before it reaches the first test, and every session runs pytest more than once.
The server imports them once, for every kernel, CLI and eval job of the same user and
installation; each run is a `fork()` of it, so every run still starts from a clean
interpreter (the workspace's own modules are never imported in the server) and keeps the
guarantees of a subprocess: its own session and process group, killed as a whole past its
time limit or when its caller goes away, an environment given per run, output in a file.

The server listens on a Unix socket in a directory only its user can enter, was started
with a scrubbed environment (a run finds no key in `/proc/<server>/environ` either), and
exits once every process that used it is gone and IDLE_GRACE has passed. Without `fork()`,
with WORKBENCH_WARM_PYTEST=0, or after repeated server faults, runs are plain subprocesses.

A project with its own interpreter gets a server of that interpreter, which has none of the
workbench's packages: this file and the modules it imports use the standard library only,
and the server is started by path (`python .../pytest_server.py ADDRESS`). Each run reseeds
what a fork would otherwise share with every other run: `random`, Faker's generator and
NumPy's legacy global state, so two runs draw different values as two `pytest` calls do.

Protocol, one connection per run, one JSON object per line: the client sends {"argv",
"cwd", "env", "path", "output"}; the server answers {"pid": N} once the child runs, then
{"exit": code}. A connection closed before the exit reply kills the run.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import hashlib
import importlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__:
    from . import fork_state, source_only, warmup
    from .bounded_process import CANCEL_POLL, BoundedRun, run_bounded
    from .safe_env import safe_environment
else:  # started by path on a project's interpreter: only the child's needs, by path too
    import importlib.util

    def _sibling(name: str, folder: Path | None = None) -> Any:
        folder = folder or Path(__file__).parent
        spec = importlib.util.spec_from_file_location(
            f"_workbench_{folder.name}_{name}", folder / f"{name}.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module

    source_only = _sibling("source_only")
    fork_state = _sibling("fork_state")

if TYPE_CHECKING:
    from ..sandbox.launch import Launch

SIBLINGS = ("pytest_server", "source_only", "fork_state")  # a change in any: a new server
SANDBOX_DIR = Path(__file__).resolve().parents[1] / "sandbox"


_SANDBOX: list[Any] = []


def _sandbox() -> Any:
    """The module a run enters its sandbox with (stdlib only: on a project's interpreter it
    is loaded by path), imported once in the server."""
    if not _SANDBOX:
        if __package__:
            from ..sandbox import namespaces
        else:
            namespaces = _sibling("namespaces", SANDBOX_DIR)
        _SANDBOX.append(namespaces)
    return _SANDBOX[0]


def _enter_sandbox(spec: dict[str, Any]) -> None:
    """The run's own namespaces, root and network, before anything of the run starts."""
    _sandbox().enter_forked(spec)


ENABLE_ENV = "WORKBENCH_WARM_PYTEST"
SOCKET_DIR_ENV = "WORKBENCH_PYTEST_SOCKETS"  # where servers listen (default: private temp dir)
GRACE_ENV = "WORKBENCH_PYTEST_GRACE"
PIN_ENV = "WORKBENCH_PIN_TEST_RUNS"  # "0": a run's threads may spread over every CPU
IDLE_GRACE = 60.0  # seconds a server outlives the last process that used it
# Imported once in the server: pytest with its plugins, and what app tests import.
PRELOAD = (
    "pytest",
    "_pytest.python",
    "_pytest.junitxml",
    "fastapi",
    "fastapi.testclient",
    "starlette.testclient",
    "pydantic",
    "pydantic.v1",  # FastAPI imports it on the first route, to tell v1 models apart
    "pydantic_settings",
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.sqlite",  # every test database of the sandbox app
    "httpx",
    "httpcore",  # httpx imports its transport lazily, on the first client
    "jwt",
    "pwdlib",
    "pwdlib.hashers.argon2",  # and argon2's CFFI bindings: the hasher pwdlib recommends
    "anyio",
    "sqlite3",  # the driver, imported on a test database's first connection
    # What every run imported for itself: pytest's debugging plugin (pdb, readline), its
    # argument completion, xdist's hook specs, FastAPI's run-time telemetry module.
    "pdb",
    "readline",
    "getpass",
    "_pytest._argcomplete",
    "encodings.unicode_escape",
    "xdist.newhooks",
    "fastapi.telemetry._runtime",
    # The error path of a run that fails before anything of its own is visible.
    "traceback",
)
# Plugins the workbench's own environment has but app tests never use.
SKIPPED_PLUGINS = ("nbval",)
ALREADY_IMPORTED = "Module already imported so cannot be rewritten; "
REPLY_GRACE = 10.0  # seconds to wait for the server's answer beyond the run's own limit
START_WAIT = 10.0  # seconds a new server gets to start listening
MAX_FAILURES = 3  # then this process stops trying: every run goes the plain way


class ServerError(RuntimeError):
    """The server did not answer as it should; the run is done in a plain subprocess."""


def enabled() -> bool:
    """fork() and a peer's pid on a Unix socket (Linux) are needed; the switch can say no."""
    supported = hasattr(os, "fork") and hasattr(socket, "SO_PEERCRED")
    return supported and os.environ.get(ENABLE_ENV, "1") != "0"


# -- the server ------------------------------------------------------------------------------


def _preload() -> list[str]:
    """Import the stack; the warning filters every run then needs (see below)."""
    from _pytest.config import default_plugins

    # pytest imports its built-in plugins on every start; here once, for every run.
    builtin = [f"_pytest.{name}" for name in default_plugins]
    for name in (*PRELOAD, *builtin):
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    with contextlib.suppress(Exception):
        _sandbox()
    from importlib.metadata import entry_points

    preloaded = set()
    found = entry_points()
    # `entry_points(group=...)` is Python 3.10's; a project's 3.9 has the mapping only.
    plugins = found.select(group="pytest11") if hasattr(found, "select") else found["pytest11"]
    for plugin in plugins:
        if plugin.name not in SKIPPED_PLUGINS:
            with contextlib.suppress(Exception):
                plugin.load()
                preloaded.add(plugin.value.split(".")[0].split(":")[0])
    # Everything imported so far lives as long as the server: out of the collector's sight,
    # pytest's gc.collect() at the end of each run walks only what the run made.
    gc.freeze()
    # pytest would rewrite the asserts of plugin modules it imports itself, and says so when
    # it finds them imported already. Here that is by design, so only that note is silenced.
    if not _names_after_semicolon():
        # Older pytest writes "rewritten: NAME", and a colon cannot stand in a -W message:
        # the note is silenced for every module there.
        return [f"-Wignore:{ALREADY_IMPORTED.rstrip('; ')}:pytest.PytestAssertRewriteWarning"]
    return [
        f"-Wignore:{ALREADY_IMPORTED}{name}:pytest.PytestAssertRewriteWarning"
        for name in sorted(preloaded)
    ]


def _names_after_semicolon() -> bool:
    """Whether this pytest's note reads "...rewritten; NAME" (newer) or "...: NAME"."""
    import inspect

    try:
        from _pytest.assertion.rewrite import AssertionRewritingHook

        return ALREADY_IMPORTED in inspect.getsource(AssertionRewritingHook)
    except (ImportError, OSError, TypeError):
        return True


def _child(request: dict[str, Any], filters: list[str], inherited: list[int]) -> None:
    """In the forked child: become the pytest run the request describes; never returns."""
    code = 3
    try:
        signal.set_wakeup_fd(-1)
        for fd in inherited:  # the server's sockets and pipes are not the run's business
            with contextlib.suppress(OSError):
                os.close(fd)
        os.setsid()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(null)
        if request.get("sandbox"):  # the run's own namespaces, root and network, then on
            _enter_sandbox(request["sandbox"])
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if os.environ.get(PIN_ENV, "1") != "0":
            _stay_on_this_cpu()
        # As `python -m pytest` run in cwd with PYTHONPATH: cwd first, then the given paths.
        sys.path[:1] = [request["cwd"], *request["path"]]
        sys.dont_write_bytecode = True
        for root in [request["cwd"], *request.get("roots", [])]:
            source_only.install(root)  # never a .pyc that an edit in the same second outdated
        fork_state.reseed()
        import pytest

        code = int(pytest.main([*filters, *request["argv"]]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # reported in the run's output, like a crash
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _stay_on_this_cpu() -> None:
    """Keep the run's threads on the CPU the kernel placed the fresh child on.

    A `TestClient` request crosses between the test's thread and the app's event-loop thread
    about eight times; spread over two CPUs, each crossing waits for the other one to wake,
    and on a virtual machine that wait is most of the request. On one CPU the lessons'
    suites ran 10-30 % faster. The CPU is the one a fork is placed on, the least busy one
    at that moment, so runs started side by side still land apart. A test that needs real
    parallelism can run with WORKBENCH_PIN_TEST_RUNS=0.
    """
    try:
        stat = Path("/proc/self/stat").read_text()
        cpu = int(stat.rsplit(")", 1)[1].split()[36])  # field 39, `processor`
        os.sched_setaffinity(0, {cpu})
    except (OSError, ValueError, IndexError, AttributeError):
        pass  # not Linux, or a CPU set the run may not narrow: run as it is


class _Server:
    """The accept loop: a child per request, its exit sent back, clients' lifetimes watched."""

    def __init__(self, address: Path) -> None:
        self.address = address
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(address))  # before the imports: clients queue meanwhile
        self.listener.listen(64)
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.runs: dict[int, socket.socket] = {}  # child pid -> its caller's connection
        self.callers: set[int] = set()  # pids of the processes that used this server
        self.last_seen = time.monotonic()
        self.grace = float(os.environ.get(GRACE_ENV) or IDLE_GRACE)

    def serve(self) -> None:
        filters = _preload()
        try:
            while not self._done():
                watched = [self.listener, self.wake_r, *self.runs.values()]
                ready, _, _ = select.select(watched, [], [], 1.0)
                if self.wake_r in ready:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_r, 4096)
                self._reap()
                for conn in [c for c in ready if c in self.runs.values()]:
                    self._caller_left(conn)
                if self.listener in ready:
                    self._accept(filters)
        finally:  # unlinked first: a caller arriving now starts a new server, not a dead end
            # Only while the address is still this server's: a server that outlived its grace
            # before anyone asked for a run may have been replaced at the same address, and
            # must not take the new one's files. The starters' lock goes too: a starter that
            # holds it now starts a server that binds the address or, losing that race,
            # leaves (EADDRINUSE in `main`).
            if self._owns_address():
                for suffix in ("", ".pid", ".lock"):
                    with contextlib.suppress(FileNotFoundError):
                        self.address.with_suffix(suffix or self.address.suffix).unlink()
                with contextlib.suppress(OSError):  # the private folder, once no server uses it
                    self.address.parent.rmdir()
            self.listener.close()

    def _owns_address(self) -> bool:
        try:
            return self.address.with_suffix(".pid").read_text().strip() == str(os.getpid())
        except OSError:
            return True  # no pid file yet (or any more): nobody else claims the address

    def _accept(self, filters: list[str]) -> None:
        conn, _ = self.listener.accept()
        try:
            conn.settimeout(5.0)
            request = json.loads(_read_line(conn))
            conn.settimeout(None)
        except (OSError, ValueError):
            conn.close()
            return
        self.callers.add(_peer_pid(conn))
        self.last_seen = time.monotonic()
        inherited = [self.listener.fileno(), self.wake_r, self.wake_w, conn.fileno()]
        inherited += [c.fileno() for c in self.runs.values()]
        pid = os.fork()
        if pid == 0:
            _child(request, filters, inherited)
        self.runs[pid] = conn
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")

    def _reap(self) -> None:
        while self.runs:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.runs.pop(pid, None)
            if conn is not None:
                reply = {"exit": os.waitstatus_to_exitcode(status)}
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps(reply).encode() + b"\n")
                conn.close()
            self.last_seen = time.monotonic()

    def _caller_left(self, conn: socket.socket) -> None:
        """Readable before its exit reply means closed: the caller is gone, so is its run."""
        for pid, owner in self.runs.items():
            if owner is conn:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)

    def _done(self) -> bool:
        if self.runs or time.monotonic() - self.last_seen < self.grace:
            return False
        if select.select([self.listener], [], [], 0)[0]:  # someone is knocking
            return False
        self.callers = {pid for pid in self.callers if _alive(pid)}
        return not self.callers


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise OSError("the connection closed mid-request")
        data += chunk
    return data.split(b"\n", 1)[0]


def _peer_pid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[0]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str]) -> None:
    """`python pytest_server.py ADDRESS`: detach, then serve until idle."""
    if sys.path and os.path.abspath(sys.path[0]) == str(Path(__file__).resolve().parent):
        del sys.path[0]  # started by path: this folder is not the tests' business
    address = Path(argv[0])
    if os.fork():  # the starter waits for this parent only; the server is nobody's child
        os._exit(0)
    os.setsid()
    try:
        server = _Server(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:  # another starter won the race
            os._exit(0)
        raise
    address.with_suffix(".pid").write_text(str(os.getpid()))
    server.serve()


# -- the client ------------------------------------------------------------------------------


def private_folder(kind: str, configured: str | None) -> Path:
    """`<temp>/workbench-<kind>-<uid>` (or under `configured`), made private to this user;
    PermissionError when somebody else's folder stands there. Servers listen in it."""
    base = Path(configured) if configured else Path(tempfile.gettempdir())
    folder = base / f"workbench-{kind}-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_uid != os.getuid() or folder.stat().st_mode & 0o077:
        raise PermissionError(f"{folder} is not private to this user")
    return folder


def socket_dir() -> Path:
    try:
        return private_folder("pytest", os.environ.get(SOCKET_DIR_ENV))
    except PermissionError as exc:
        raise ServerError(str(exc)) from None


def server_address(python: str | None = None) -> Path:
    """One server per interpreter, version of this module and state of site-packages."""
    if python is None or os.path.abspath(python) == os.path.abspath(sys.executable):
        python, version = sys.executable, sys.version
        purelib = Path(sysconfig.get_paths()["purelib"])
    else:
        version = ""
        found = sorted(
            Path(os.path.abspath(python)).parent.parent.glob("lib/python3*/site-packages")
        )
        purelib = found[0] if found else Path(python)
    key = "\0".join(
        [
            python,
            version,
            *(str(Path(__file__).with_name(f"{n}.py").stat().st_mtime_ns) for n in SIBLINGS),
            *(str((SANDBOX_DIR / f"{n}.py").stat().st_mtime_ns) for n in ("namespaces", "network")),
            str(purelib.stat().st_mtime_ns if purelib.exists() else 0),
        ]
    )
    return socket_dir() / f"{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}.sock"


def server_environment() -> dict[str, str]:
    """The server's own environment: no credentials, no PYTHONPATH, no pytest settings."""
    env = safe_environment("")
    env.pop("PYTHONPATH", None)
    return env


class WarmPytest:
    """This process's way to the server: connect, starting the server when there is none."""

    def __init__(self) -> None:
        self.failures = 0
        self._lock = threading.Lock()

    @property
    def usable(self) -> bool:
        return enabled() and self.failures < MAX_FAILURES

    def prestart(self, python: str | None = None) -> None:
        """Make sure a server runs (starting it in the background), before a run needs it."""
        if self.usable:
            threading.Thread(
                target=self._warm_up, args=(python,), name="warm-pytest", daemon=True
            ).start()

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str],
        timeout: float,
        cancel: threading.Event | None = None,
        sandbox: dict[str, Any] | None = None,
        python: str | None = None,
    ) -> BoundedRun:
        """One pytest run in a forked child; past `timeout` or on `cancel`, its group is killed.

        `sandbox` (a `Launch.fork_spec`) makes the child enter the OS sandbox before it runs.
        """
        started = time.monotonic()
        deadline = started + timeout
        path = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        try:
            conn = self._connect(python)
        except OSError as exc:
            self.failures += 1
            raise ServerError(f"no pytest server: {exc}") from exc
        with conn, tempfile.NamedTemporaryFile(prefix="pytest-run-", suffix=".log") as sink:
            request = {"argv": list(argv), "cwd": cwd, "env": dict(env), "path": path}
            request["sandbox"] = sandbox
            request["roots"] = path
            request["output"] = sink.name
            try:
                conn.sendall(json.dumps(request).encode() + b"\n")
                replies = _Replies(conn)
                pid = replies.next(deadline + REPLY_GRACE)["pid"]
                timed_out = cancelled = False
                reply: dict[str, Any] | None = None
                while reply is None:
                    if cancel is not None and cancel.is_set():
                        cancelled = True
                    elif time.monotonic() >= deadline:
                        timed_out = True
                    else:
                        # While the run goes on, the kernel imports what its live check needs.
                        wait = 0.0 if warmup.step() else CANCEL_POLL
                        with contextlib.suppress(TimeoutError):
                            reply = replies.next(min(deadline, time.monotonic() + wait))
                        continue
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        if int(pid) > 1:  # never our own group (0) nor init's (1)
                            os.killpg(int(pid), signal.SIGKILL)
                    reply = replies.next(time.monotonic() + REPLY_GRACE)
            except (OSError, TimeoutError, KeyError, ValueError) as exc:
                self.failures += 1
                raise ServerError(f"the pytest server failed: {exc}") from None
            output = Path(sink.name).read_bytes().decode("utf-8", errors="replace")
        exit_code = None if timed_out or cancelled else int(reply["exit"])
        duration = time.monotonic() - started
        return BoundedRun(exit_code, timed_out, output, duration, cancelled)

    def _warm_up(self, python: str | None = None) -> None:
        with contextlib.suppress(Exception):
            self._connect(python).close()

    def _connect(self, python: str | None = None) -> socket.socket:
        python = python or sys.executable
        address = server_address(python)
        try:
            return connect_unix(address)
        except (FileNotFoundError, ConnectionRefusedError):
            pass
        with self._lock, _file_lock(address.with_suffix(".lock")):
            try:  # another thread or process may have started it meanwhile
                return connect_unix(address)
            except (FileNotFoundError, ConnectionRefusedError):
                pass
            with contextlib.suppress(FileNotFoundError):
                address.unlink()  # left by a server that died
            starter = start_pytest_server(python, address)
            starter.wait(timeout=START_WAIT)
            waited_until = time.monotonic() + START_WAIT
            while True:
                try:
                    return connect_unix(address)
                except (FileNotFoundError, ConnectionRefusedError):
                    if time.monotonic() > waited_until:
                        raise
                    time.sleep(0.01)


def start_pytest_server(python: str, address: Path) -> subprocess.Popen[bytes]:
    """Start the warm pytest server of `python` at `address` (it detaches; the starter
    returned exits at once). Every server process starts here."""
    return subprocess.Popen(
        [python, str(Path(__file__).resolve()), str(address)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),
        env=server_environment(),
        start_new_session=True,
    )


def connect_unix(address: Path) -> socket.socket:
    """A connection to the server listening at `address` (OSError when none does)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(address))
    except OSError:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Across processes: one of them starts the server, the others wait and connect."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Replies:
    """Reply lines from the server, each awaited until a deadline."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""

    def next(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.conn], [], [], max(left, 0.0))
            if not ready:
                if left <= 0:
                    raise TimeoutError
                continue
            chunk = self.conn.recv(65536)
            if not chunk:
                raise ConnectionError("the pytest server closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


WARM = WarmPytest()


def prestart(python: str | None = None) -> None:
    """Have a warm server ready (or starting) before the first test run needs it."""
    WARM.prestart(python)


def run_pytest_process(
    argv: Sequence[str],
    *,
    cwd: Path | str,
    env: Mapping[str, str],
    timeout: float,
    cancel: threading.Event | None = None,
    launch: Launch | None = None,
    python: str | None = None,
) -> BoundedRun:
    """`python -m pytest ARGV` in `cwd` with `env`: warm when it can be, plain otherwise.

    `python` is the project's interpreter (the workbench's when None). Setting `cancel` (the
    panel's Stop) kills the run at once, as its time limit would. With `launch`, the run is
    sandboxed: a forked run enters the sandbox itself, a plain one starts under bubblewrap.
    """
    python = python or sys.executable
    if WARM.usable:
        spec = launch.fork_spec(cwd=str(cwd)) if launch is not None else None
        with contextlib.suppress(ServerError):
            return WARM.run(
                argv,
                cwd=str(cwd),
                env=env,
                timeout=timeout,
                cancel=cancel,
                sandbox=spec,
                python=python,
            )
    source_only_path = str(Path(__file__).with_name("source_only.py"))
    command = [python, source_only_path, *argv]  # pytest, compiled from source: see there
    if launch is not None:
        command = launch.command(command, cwd=str(cwd))
    return run_bounded(command, cwd=cwd, env=env, timeout=timeout, cancel=cancel)


if __name__ == "__main__":
    main(sys.argv[1:])
