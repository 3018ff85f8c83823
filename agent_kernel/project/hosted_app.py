"""The kernel's side of the app host: start it, ask it for a fresh app, talk to that app.

`open_hosted_client` returns an `httpx.Client` with the TestClient's manners (base URL
`http://testserver`, redirects followed, server errors raised in the caller) whose transport
sends each request to the check's forked child (`app_host`). An app that fails to import,
fails in its lifespan, hangs past the time limit or crashes becomes an `AppLoadError` that
names the root cause, and the missing setting when that is what it was.

Imports this layer's app_host (the wire format), failure, live_check and safe_env modules.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from . import app_host
from .discovery import ProjectInfo, python_files
from .failure import explain
from .live_check import AppLoadError
from .pytest_server import connect_unix, private_folder
from .safe_env import safe_environment

HOST_SCRIPT = Path(app_host.__file__).resolve()
SIBLINGS = ("source_only", "fork_state")  # what the host loads by path beside it
SOCKET_DIR_ENV = "WORKBENCH_APP_HOST_SOCKETS"
START_WAIT = 20.0
REQUEST_TIMEOUT = 60.0


class RemoteAppError(Exception):
    """The app raised while handling a request in its own process; the message is its
    traceback. Subclassed per built-in exception type, so `pytest.raises(ValueError)` holds."""


def _remote_error(failure: dict[str, Any]) -> RemoteAppError:
    first = failure["chain"][0] if failure.get("chain") else {"type": "Exception", "message": ""}
    text = (
        f"{first['type']}: {first['message']} (raised by the app while "
        f"{failure.get('what', 'handling a request')})\n{failure.get('traceback', '')}"
    )
    base = getattr(builtins, first["type"], None) if first.get("module") == "builtins" else None
    if isinstance(base, type) and issubclass(base, Exception):
        with contextlib.suppress(TypeError):
            kind = type(first["type"], (RemoteAppError, base), {})
            return kind(text)
    return RemoteAppError(text)


# -- the host process ---------------------------------------------------------------------


def socket_dir() -> Path:
    try:
        return private_folder("apphost", os.environ.get(SOCKET_DIR_ENV))
    except PermissionError as exc:
        raise AppLoadError(str(exc)) from None


def _site_packages_mtime(python: str) -> int:
    prefix = Path(os.path.abspath(python)).parent.parent
    found = sorted(prefix.glob("lib/python3*/site-packages"))
    return found[0].stat().st_mtime_ns if found else 0


def host_address(python: str) -> Path:
    """One host per interpreter, version of the host's code and state of its site-packages."""
    key = "\0".join(
        [
            os.path.abspath(python),
            str(HOST_SCRIPT.stat().st_mtime_ns),
            *(str(HOST_SCRIPT.with_name(f"{n}.py").stat().st_mtime_ns) for n in SIBLINGS),
            str(_site_packages_mtime(python)),
        ]
    )
    digest = hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    return socket_dir() / f"{digest}.sock"


def host_environment() -> dict[str, str]:
    """The host's own environment: no credentials, no PYTHONPATH."""
    env = safe_environment("")
    env.pop("PYTHONPATH", None)
    return env


def start_app_host(python: str, address: Path) -> subprocess.Popen[bytes]:
    """Start the app host of `python` listening at `address` (it detaches; the returned
    starter exits at once). Every host process starts here."""
    return subprocess.Popen(
        [python, str(HOST_SCRIPT), str(address)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),
        env=host_environment(),
        start_new_session=True,
    )


_start_lock = threading.Lock()


def connect_host(python: str) -> socket.socket:
    """A connection to the host of `python`, starting the host when there is none."""
    address = host_address(python)
    with contextlib.suppress(FileNotFoundError, ConnectionRefusedError):
        return connect_unix(address)
    import fcntl

    with _start_lock, open(address.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError, ConnectionRefusedError):
            return connect_unix(address)
        with contextlib.suppress(FileNotFoundError):
            address.unlink()
        try:
            starter = start_app_host(python, address)
        except OSError as exc:
            raise AppLoadError(f"the project's interpreter {python} cannot start: {exc}") from exc
        starter.wait(timeout=START_WAIT)
        until = time.monotonic() + START_WAIT
        while True:
            try:
                return connect_unix(address)
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > until:
                    raise AppLoadError(
                        f"the app host on {python} did not start within {START_WAIT:.0f} s "
                        f"(exit code of its starter: {starter.returncode})"
                    ) from None
                time.sleep(0.01)


def prestart_host(python: str) -> None:
    """Have the host of `python` running (in the background) before the first check."""

    def warm() -> None:
        with contextlib.suppress(Exception):
            connect_host(python).close()

    threading.Thread(target=warm, name="app-host", daemon=True).start()


def child_status(python: str, pid: int) -> int | None:
    """How the host's child `pid` ended (its exit code, minus a signal), when known."""
    try:
        conn = connect_unix(host_address(python))
    except OSError:
        return None
    with conn:
        channel = app_host.Channel(conn)
        try:
            channel.send({"op": "status", "pid": pid})
            reply, _ = channel.receive(time.monotonic() + 2.0)
        except (OSError, TimeoutError, ConnectionError, ValueError):
            return None
    status = reply.get("exit")
    return None if status is None else int(status)


# -- one check ------------------------------------------------------------------------------


def third_party_imports(info: ProjectInfo) -> list[str]:
    """The modules the project imports from outside itself (the host imports them once)."""
    own = {p.name for p in info.import_root.iterdir() if p.is_dir() or p.suffix == ".py"}
    own |= {p.stem for p in info.import_root.iterdir() if p.suffix == ".py"}
    own |= {p.name for p in info.root.iterdir()} | {p.stem for p in info.root.iterdir()}
    found: set[str] = set()
    for path in python_files(info.root):
        if "test" in path.name or "alembic" in path.parts or "tests" in path.parts:
            continue
        found.update(n for n in _imports_of(path) if n.split(".")[0] not in own)
    stdlib = getattr(sys, "stdlib_module_names", frozenset())
    return sorted(n for n in found if n.split(".")[0] not in stdlib or "." in n)


_import_cache: dict[str, tuple[int, frozenset[str]]] = {}


def _imports_of(path: Path) -> frozenset[str]:
    """The absolute module names a file imports (cached until the file changes)."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return frozenset()
    cached = _import_cache.get(str(path))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    names: set[str] = set()
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError):
        tree = None
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    _import_cache[str(path)] = (stamp, frozenset(names))
    return frozenset(names)


class HostedApp:
    """One forked child serving the app: requests go to it one at a time."""

    def __init__(self, conn: socket.socket, pid: int, python: str, log: Path) -> None:
        self.conn = conn
        self.channel = app_host.Channel(conn)
        self.pid = pid
        self.python = python
        self.log = log
        self.lock = threading.Lock()
        self.closed = False

    def kill(self) -> None:
        if self.pid > 1:  # never group 0 (ours) or 1 (init's), whatever a child reported
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.conn.close()
        self.closed = True

    def ended(self, what: str) -> AppLoadError:
        """The child's end, explained: its exit status and the last lines it wrote."""
        self.kill()
        status = None
        for _ in range(20):
            status = child_status(self.python, self.pid)
            if status is not None:
                break
            time.sleep(0.02)
        if status is None:
            how = "ended"
        elif status < 0:
            try:
                how = f"was killed by {signal.Signals(-status).name}"
            except ValueError:
                how = f"was killed by signal {-status}"
        else:
            how = f"exited with code {status}"
        tail = _tail(self.log)
        return AppLoadError(
            f"the app's process {how} while {what} (a crash in a C extension, os._exit or "
            f"sys.exit in the app?){': ' + tail if tail else ''}"
        )

    def request(self, head: dict[str, Any], body: bytes, timeout: float) -> tuple[dict, bytes]:
        with self.lock:
            if self.closed:
                raise AppLoadError("this app's check is closed: call wb.client() again")
            try:
                self.channel.send({"op": "request", **head}, body)
                return self.channel.receive(time.monotonic() + timeout)
            except TimeoutError:
                self.kill()
                raise AppLoadError(
                    f"the app did not answer {head['method']} {head['path']} within "
                    f"{timeout:.0f} s; its process was stopped (call wb.client() again)"
                ) from None
            except (ConnectionError, OSError) as exc:
                raise self.ended(f"handling {head['method']} {head['path']}") from exc

    def close(self) -> dict[str, Any] | None:
        """Run the lifespan's shutdown and end the child; the shutdown failure, if any."""
        with self.lock:
            if self.closed:
                return None
            failure = None
            try:
                self.channel.send({"op": "close"})
                reply, _ = self.channel.receive(time.monotonic() + 15.0)
                failure = reply.get("error")
            except (OSError, TimeoutError, ConnectionError, ValueError):
                pass
            self.kill()
            return failure


def _tail(log: Path, lines: int = 6) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return " | ".join(text.splitlines()[-lines:])[-1200:]


class HostTransport(httpx.BaseTransport):
    """httpx requests, carried to the check's child and answered by the app there."""

    def __init__(self, app: HostedApp, raise_server_exceptions: bool, timeout: float) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        self.timeout = timeout

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        head = {
            "method": request.method,
            "path": url.raw_path.split(b"?", 1)[0].decode("latin-1"),
            "query": url.query.decode("latin-1"),
            "scheme": url.scheme,
            "host": url.host,
            "port": url.port or (443 if url.scheme == "https" else 80),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.headers.raw],
        }
        reply, body = self.app.request(head, request.read(), self.timeout)
        failure = reply.get("app_error")
        if failure is not None and self.raise_server_exceptions:
            raise _remote_error(failure)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply["headers"]]
        return httpx.Response(reply["status"], headers=headers, content=body, request=request)


class HostedClient(httpx.Client):
    """A TestClient look-alike on an app running in its own process."""

    app_package = ""  # absolute module names; `wb.app_module` explains what it can give

    def __init__(self, app: HostedApp, *, raise_server_exceptions: bool, root: Path) -> None:
        self.hosted = app
        self.project_root = str(root)
        self.timing: dict[str, float] = {}  # seconds the child spent importing, starting
        super().__init__(
            transport=HostTransport(app, raise_server_exceptions, REQUEST_TIMEOUT),
            base_url="http://testserver",
            follow_redirects=True,
            headers={"user-agent": "testclient"},
        )

    def __enter__(self) -> HostedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        failure = self.hosted.close()
        super().close()
        if failure is not None:
            raise AppLoadError(explain(failure, {}))

    def websocket_connect(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "websockets are not carried to an app in its own process; use "
            "wb.client(in_kernel=True) on a project that runs on the workbench's interpreter"
        )


def check_request(
    info: ProjectInfo,
    env: Mapping[str, str],
    log: Path,
    extra_roots: list[str],
    sandbox: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the host's child needs to load this project's app."""
    root = str(info.root)
    import_root = str(info.import_root)
    # Sandboxed, `env` is the whole environment (built from an allowlist, as every sandboxed
    # process's); otherwise the caller's, less its credentials, plus `env`.
    child_env = {} if sandbox else safe_environment(import_root)
    child_env.update(env)
    paths = [import_root] + ([root] if root != import_root else [])
    child_env["PYTHONPATH"] = os.pathsep.join(paths)
    return {
        "op": "check",
        "module": info.module,
        "attr": info.attr,
        "factory": info.factory,
        "cwd": root,
        "env": child_env,
        "path": paths,
        "roots": [root, *extra_roots],
        "log": str(log),
        "preload": third_party_imports(info),
        "sandbox": sandbox,
    }


def _check_version(python: str) -> None:
    """The host needs Python 3.9 (`socket.send_fds`, `os.waitstatus_to_exitcode`)."""
    from .interpreter import Interpreter

    version = Interpreter(python, "").versions().get("python", "")
    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    if not version:
        raise AppLoadError(f"the project's interpreter {python} does not start")
    if parts < (3, 9):
        raise AppLoadError(
            f"the project's interpreter is Python {version}; live checks in their own process "
            "need Python 3.9 or newer (give another with Workbench(python=...))"
        )


def open_hosted_client(
    info: ProjectInfo,
    env: Mapping[str, str],
    *,
    python: str,
    timeout: float = 15.0,
    raise_server_exceptions: bool = True,
    log: Path | None = None,
    sandbox: dict[str, Any] | None = None,
) -> HostedClient:
    """A started client on a fresh process of the project's app (`client.close()` ends it).

    `sandbox` (a `Launch.fork_spec`) makes the check's process enter the OS sandbox first.
    """
    log = log or socket_dir() / f"app-{os.getpid()}.log"
    _check_version(python)
    request = check_request(info, env, log, [], sandbox)
    conn = connect_host(python)
    channel = app_host.Channel(conn)
    deadline = time.monotonic() + timeout
    try:
        channel.send(request)
        first, _ = channel.receive(time.monotonic() + START_WAIT + timeout)
        pid = int(first["pid"])
    except (OSError, TimeoutError, ConnectionError, ValueError, KeyError) as exc:
        conn.close()
        raise AppLoadError(f"the app host on {python} did not answer: {exc}") from exc
    app = HostedApp(conn, pid, python, log)
    try:
        reply, _ = channel.receive(deadline)
    except TimeoutError:
        app.kill()
        raise AppLoadError(
            f"the app did not finish importing and starting up within {timeout:.0f} s (an "
            "endless loop, or a blocking call such as a database or Redis connection at "
            "import or startup?); its process was stopped, the kernel is fine"
        ) from None
    except (ConnectionError, OSError) as exc:
        raise app.ended("importing and starting up") from exc
    if "error" in reply:
        app.kill()
        raise AppLoadError(explain(reply["error"], request["env"], info=info))
    client = HostedClient(app, raise_server_exceptions=raise_server_exceptions, root=info.root)
    client.timing = {k: v for k, v in reply.items() if k.endswith("_s")}
    return client
