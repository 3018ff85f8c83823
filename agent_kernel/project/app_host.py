"""The app host: a process of the project's interpreter that forks a fresh app per check.

A live check in the kernel cannot forget what a library keeps for itself: `SQLModel.metadata`
(the second import of the models fails with "Table 'user' is already defined"), SQLAlchemy's
registries, Pydantic's caches, prometheus collectors, `logging` handlers, a module-level
engine. The host imports the project's third-party stack once (FastAPI, SQLAlchemy, ...,
whatever the project's modules import from outside itself) and never a module of the
project; each check is a `fork()` of it that imports the app from the workspace, runs its
lifespan, then answers requests over the socket the kernel opened, until the kernel closes
it. So each check starts as a fresh process would, at the cost of importing the project's
own modules only.

This file runs in the project's interpreter, which has none of the workbench's packages:
it uses the standard library only and is started by path (`python app_host.py ADDRESS`).
The kernel's side (the httpx transport, starting the host) is `hosted_app`.

Protocol, one connection per check, frames of one JSON line, then `length` raw bytes when
the line says so: the kernel sends {"op": "check", ...}; the child answers {"pid"}, then
{"ready": ...} or {"error": failure}; then for each {"op": "request", "length"} + body it
answers {"status", "headers", "length"} + body (or {"error"} when the app raised and the
check wants server exceptions); {"op": "close"} runs the lifespan's shutdown. A closed
connection ends the child too. {"op": "status", "pid"} asks the host how a child ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import importlib
import importlib.util
import json
import os
import select
import signal
import socket
import struct
import sys
import time
import traceback
from pathlib import Path
from typing import Any

GRACE_ENV = "WORKBENCH_APP_HOST_GRACE"
IDLE_GRACE = 120.0  # seconds a host outlives the last process that used it
# Imported in the host whatever the project imports: what a FastAPI app's first request needs.
STACK = (
    "fastapi",
    "fastapi.routing",
    "fastapi.encoders",
    "starlette.applications",
    "starlette.middleware.errors",
    "starlette.responses",
    "pydantic",
    "pydantic.v1",  # FastAPI imports it on the first route, to tell v1 models apart
    "anyio",
    "anyio._backends._asyncio",
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite",
    "sqlite3",
    "logging.config",
    "email.mime.text",
)
KEPT_STATUSES = 256
SPARE_PAUSE = 0.3  # seconds a new spare child waits before it pays its copy-on-write


# -- frames --------------------------------------------------------------------------------


class Channel:
    """JSON-line frames with optional raw payloads over a blocking socket."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""

    def send(self, header: dict[str, Any], payload: bytes = b"") -> None:
        if payload:
            header = {**header, "length": len(payload)}
        self.conn.sendall(json.dumps(header).encode() + b"\n" + payload)

    def receive(self, deadline: float | None = None) -> tuple[dict[str, Any], bytes]:
        """The next frame; TimeoutError past `deadline`, ConnectionError when closed."""
        while b"\n" not in self.buffer:
            self._fill(deadline)
        line, self.buffer = self.buffer.split(b"\n", 1)
        header = json.loads(line)
        length = int(header.get("length") or 0)
        while len(self.buffer) < length:
            self._fill(deadline)
        payload, self.buffer = self.buffer[:length], self.buffer[length:]
        return header, payload

    def _fill(self, deadline: float | None) -> None:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.conn], [], [], left)[0]:
                raise TimeoutError
        chunk = self.conn.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the other end closed the connection")
        self.buffer += chunk


# -- what a failure looks like on the wire ---------------------------------------------------


def describe_failure(exc: BaseException, what: str, roots: list[str]) -> dict[str, Any]:
    """The exception, its chain (outermost first), where in the project it was raised, and
    what a settings error says is missing; plain data, so the kernel can explain it."""
    chain: list[dict[str, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(chain) < 12:
        seen.add(id(current))
        chain.append(
            {
                "type": type(current).__name__,
                "module": type(current).__module__,
                "message": str(current)[:2000],
                "where": _where(current, roots),
            }
        )
        current = current.__cause__ or current.__context__
    missing: list[str] = []
    current = exc
    for _ in range(12):
        if current is None:
            break
        missing += _missing_fields(current)
        current = current.__cause__ or current.__context__
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"what": what, "chain": chain, "missing": missing, "traceback": text[-8000:]}


def _where(exc: BaseException, roots: list[str]) -> str:
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_short(exc.filename, roots)}:{exc.lineno}"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if any(frame.filename.startswith(root + os.sep) for root in roots):
            return f"{_short(frame.filename, roots)}:{frame.lineno}"
    return ""


def _short(filename: str, roots: list[str]) -> str:
    for root in roots:
        if filename.startswith(root + os.sep):
            return filename[len(root) + 1 :]
    return filename


def _missing_fields(exc: BaseException) -> list[str]:
    """Fields a pydantic ValidationError (v1 or v2) reports missing, as environment names."""
    errors = getattr(exc, "errors", None)
    if not callable(errors) or type(exc).__name__ != "ValidationError":
        return []
    try:
        listed = errors()
    except Exception:
        return []
    return [
        ".".join(str(p) for p in error.get("loc", ()) if p != "__root__").upper()
        for error in listed
        if error.get("type") in ("missing", "value_error.missing")
    ]


# -- the child: one app, fresh -----------------------------------------------------------------


def child_setup(request: dict[str, Any], inherited: list[int]) -> None:
    """Become the check's process: own session, the workspace's folder, environment and
    import path, output to the check's log. The one place a child is set up (a sandbox wraps
    exactly this)."""
    signal.set_wakeup_fd(-1)
    for fd in inherited:
        with contextlib.suppress(OSError):
            os.close(fd)
    os.setsid()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    out = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    os.close(null)
    # The pid the kernel may signal: this process's, taken before a sandbox's PID namespace
    # (inside it, the check is PID 1, and the kernel must never signal group 1).
    request["host_pid"] = os.getpid()
    if request.get("sandbox"):  # the check's own namespaces, root and network, then the app
        _siblings["namespaces"].enter_forked(request["sandbox"])
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[:0] = request["path"]
    sys.dont_write_bytecode = True
    for root in request["roots"]:
        _siblings["source_only"].install(root)
    _siblings["fork_state"].reseed()


def _load_app(request: dict[str, Any]) -> Any:
    module = importlib.import_module(request["module"])
    target = getattr(module, request["attr"], None)
    if target is None:
        raise LookupError(f"{request['module']} has no attribute {request['attr']!r}")
    return target() if request["factory"] else target


class _Asgi:
    """Just enough of an ASGI server for one app: its lifespan, then one request at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.state: dict[str, Any] = {}
        self.lifespan_inbox: asyncio.Queue[dict[str, Any]] | None = None
        self.lifespan_outbox: asyncio.Queue[dict[str, Any]] | None = None
        self.lifespan_task: asyncio.Task[Any] | None = None

    def startup(self) -> None:
        self.loop.run_until_complete(self._startup())

    async def _startup(self) -> None:
        self.lifespan_inbox, self.lifespan_outbox = asyncio.Queue(), asyncio.Queue()
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self.lifespan_task = self.loop.create_task(
            self.app(scope, self.lifespan_inbox.get, self.lifespan_outbox.put)
        )
        await self.lifespan_inbox.put({"type": "lifespan.startup"})
        message = await self._lifespan_answer()
        if message is None:
            return  # an app without a lifespan protocol: nothing to start
        if message["type"] == "lifespan.startup.failed":
            error = self._task_error()
            raise error or RuntimeError(message.get("message") or "lifespan startup failed")

    async def _lifespan_answer(self) -> dict[str, Any] | None:
        assert self.lifespan_task is not None and self.lifespan_outbox is not None
        answer = self.loop.create_task(self.lifespan_outbox.get())
        done, _ = await asyncio.wait(
            {answer, self.lifespan_task}, return_when=asyncio.FIRST_COMPLETED
        )
        if answer in done:
            return answer.result()
        answer.cancel()
        error = self._task_error()
        if error is not None and not _lifespan_unsupported(error):
            raise error
        return None

    def _task_error(self) -> BaseException | None:
        task = self.lifespan_task
        if task is None or not task.done() or task.cancelled():
            return None
        return task.exception()

    def shutdown(self) -> None:
        if self.lifespan_task is None or self.lifespan_task.done():
            return
        self.loop.run_until_complete(self._shutdown())

    async def _shutdown(self) -> None:
        assert self.lifespan_inbox is not None
        await self.lifespan_inbox.put({"type": "lifespan.shutdown"})
        message = await self._lifespan_answer()
        if message is not None and message["type"] == "lifespan.shutdown.failed":
            raise self._task_error() or RuntimeError(message.get("message") or "shutdown failed")

    def request(self, head: dict[str, Any], body: bytes) -> tuple[dict[str, Any], bytes, Any]:
        return self.loop.run_until_complete(self._request(head, body))

    async def _request(self, head: dict[str, Any], body: bytes) -> tuple[dict, bytes, Any]:
        from urllib.parse import unquote

        raw_path = head["path"].encode("latin-1")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": head["method"],
            "scheme": head.get("scheme", "http"),
            "path": unquote(head["path"]),
            "raw_path": raw_path,
            "query_string": head.get("query", "").encode("latin-1"),
            "root_path": "",
            "headers": [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in head["headers"]
            ],
            "client": ("testclient", 50000),
            "server": (head.get("host", "testserver"), head.get("port", 80)),
            "state": dict(self.state),
            "extensions": {},
        }
        sent_body = False
        complete = asyncio.Event()
        response: dict[str, Any] = {"status": None, "headers": []}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await complete.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = [
                    [bytes(k).decode("latin-1"), bytes(v).decode("latin-1")]
                    for k, v in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    complete.set()

        error = None
        try:
            await self.app(scope, receive, send)
        except BaseException as exc:  # the app's own error: reported, the child lives on
            error = exc
        complete.set()
        if response["status"] is None:
            response = {"status": 500, "headers": [["content-type", "text/plain; charset=utf-8"]]}
            chunks = [b"Internal Server Error"]
        return response, b"".join(chunks), error


def _lifespan_unsupported(error: BaseException) -> bool:
    # An app that only speaks HTTP raises on a lifespan scope; that is not a startup failure.
    return isinstance(error, (AssertionError, KeyError, NotImplementedError))


def serve_check(channel: Channel, request: dict[str, Any]) -> int:
    """Import the app, start it, answer requests until the kernel closes; the exit code."""
    roots = request["roots"]
    pid = request.get("host_pid") or os.getpid()
    channel.send({"pid": pid})
    what = "importing"
    started = time.perf_counter()
    try:
        app = _load_app(request)
        imported = time.perf_counter()
        what = "starting up (lifespan)"
        server = _Asgi(app)
        server.startup()
    except BaseException as exc:
        channel.send({"error": describe_failure(exc, what, roots)})
        return 1
    timing = {"import_s": imported - started, "startup_s": time.perf_counter() - imported}
    channel.send({"ready": True, "pid": pid, **timing})
    while True:
        try:
            head, body = channel.receive()
        except (ConnectionError, OSError, ValueError):
            with contextlib.suppress(BaseException):
                server.shutdown()
            return 0
        if head.get("op") == "close":
            try:
                server.shutdown()
            except BaseException as exc:
                failure = describe_failure(exc, "shutting down (lifespan)", roots)
                channel.send({"closed": True, "error": failure})
                return 1
            channel.send({"closed": True})
            return 0
        response, payload, error = server.request(head, body)
        reply: dict[str, Any] = {"status": response["status"], "headers": response["headers"]}
        if error is not None:
            what = f"handling {head['method']} {head['path']}"
            reply["app_error"] = describe_failure(error, what, roots)
        channel.send(reply, payload)


def _spare(control: socket.socket, inherited: list[int]) -> None:
    """A child forked ahead of its check: it pays the fork's copy-on-write now, then waits
    for a check (the request, and the kernel's connection as a file descriptor). Never
    returns."""
    code = 0
    try:
        signal.set_wakeup_fd(-1)
        for fd in inherited:
            with contextlib.suppress(OSError):
                os.close(fd)
        # A collection writes to every object it visits: the pages the check would copy one
        # fault at a time while it imports are copied here, before anyone waits for them;
        # after a pause, so as not to compete for a CPU with the check that has just begun.
        if not select.select([control], [], [], SPARE_PAUSE)[0]:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
        message, fds, _, _ = socket.recv_fds(control, 1 << 22, 1)
        if not fds:
            os._exit(0)
        request = json.loads(message)
        _child(socket.socket(fileno=fds[0]), request, [control.fileno()])
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
        code = 3
    os._exit(code)


def _child(conn: socket.socket, request: dict[str, Any], inherited: list[int]) -> None:
    """In the forked child: never returns."""
    code = 3
    try:
        child_setup(request, inherited)
        code = serve_check(Channel(conn), request)
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


# -- the host -------------------------------------------------------------------------------


class Host:
    """Accept checks, fork a child for each, reap them, exit when nobody uses the host."""

    def __init__(self, address: Path) -> None:
        self.address = address
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(address))
        self.listener.listen(64)
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.children: set[int] = set()
        self.spare: tuple[int, socket.socket] | None = None  # (pid, its control socket)
        self.statuses: dict[int, int] = {}
        self.callers: set[int] = set()
        self.preloaded: set[str] = set()
        self.last_seen = time.monotonic()
        self.grace = float(os.environ.get(GRACE_ENV) or IDLE_GRACE)

    def preload(self, names: list[str]) -> None:
        for name in names:
            if name in self.preloaded:
                continue
            self.preloaded.add(name)
            with contextlib.suppress(BaseException):
                importlib.import_module(name)

    def serve(self) -> None:
        self.preload(list(STACK))
        gc.freeze()
        self._fork_spare()
        try:
            while not self._done():
                ready, _, _ = select.select([self.listener, self.wake_r], [], [], 1.0)
                if self.wake_r in ready:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_r, 4096)
                self._reap()
                if self.listener in ready:
                    self._accept()
        finally:  # its files, and the private folder once no host uses it (nothing left behind)
            if self._owns_address():  # a newer host at the same address keeps its files
                for suffix in ("", ".pid", ".lock"):
                    with contextlib.suppress(FileNotFoundError):
                        self.address.with_suffix(suffix or self.address.suffix).unlink()
                with contextlib.suppress(OSError):
                    self.address.parent.rmdir()
            self._drop_spare()
            self.listener.close()

    def _owns_address(self) -> bool:
        try:
            return self.address.with_suffix(".pid").read_text().strip() == str(os.getpid())
        except OSError:
            return False

    def _inherited(self) -> list[int]:
        return [self.listener.fileno(), self.wake_r, self.wake_w]

    def _fork_spare(self) -> None:
        """Fork the child the next check will use (see `_spare`)."""
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            parent_end.close()
            _spare(child_end, self._inherited())
        child_end.close()
        self.spare = (pid, parent_end)

    def _drop_spare(self) -> None:
        if self.spare is not None:
            pid, control = self.spare
            self.spare = None
            control.close()  # the spare reads nothing and exits
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        channel = Channel(conn)
        try:
            head, _ = channel.receive(time.monotonic() + 5.0)
        except (OSError, ValueError, TimeoutError):
            conn.close()
            return
        self.callers.add(_peer_pid(conn))
        self.last_seen = time.monotonic()
        if head.get("op") == "status":
            with contextlib.suppress(OSError):
                channel.send({"exit": self.statuses.get(int(head.get("pid", 0)))})
            conn.close()
            return
        if head.get("op") != "check":
            with contextlib.suppress(OSError):
                channel.send({"ok": True, "pid": os.getpid()})
            conn.close()
            return
        new = [name for name in head.get("preload", []) if name not in self.preloaded]
        if new:  # the spare has not got them: a child forked after their import has
            self._drop_spare()
            self.preload(new)
        pid = self._hand_over(conn, head)
        self.children.add(pid)
        conn.close()
        self._fork_spare()

    def _hand_over(self, conn: socket.socket, head: dict[str, Any]) -> int:
        """The check's child: the spare, given the connection, else a child forked now."""
        if self.spare is not None:
            pid, control = self.spare
            self.spare = None
            try:
                socket.send_fds(control, [json.dumps(head).encode()], [conn.fileno()])
                control.close()
                return pid
            except OSError:
                control.close()
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        pid = os.fork()
        if pid == 0:
            _child(conn, head, self._inherited())
        return pid

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.spare is not None and pid == self.spare[0]:
                self.spare[1].close()
                self.spare = None
                continue
            self.children.discard(pid)
            self.statuses[pid] = os.waitstatus_to_exitcode(status)
            while len(self.statuses) > KEPT_STATUSES:
                self.statuses.pop(next(iter(self.statuses)))
            self.last_seen = time.monotonic()

    def _done(self) -> bool:
        if self.children or time.monotonic() - self.last_seen < self.grace:
            return False
        if select.select([self.listener], [], [], 0)[0]:
            return False
        self.callers = {pid for pid in self.callers if _alive(pid)}
        return not self.callers


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


def _sibling(name: str, folder: Path | None = None) -> Any:
    """A stdlib-only module beside this file (or in `folder`), loaded by path."""
    path = (folder or Path(__file__).parent) / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_workbench_{path.parent.name}_{name}", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_siblings: dict[str, Any] = {}
SANDBOX_DIR = Path(__file__).resolve().parents[1] / "sandbox"  # its stdlib-only entry


def main(argv: list[str]) -> None:
    """`python app_host.py ADDRESS`: detach, then serve until idle."""
    if sys.path and os.path.abspath(sys.path[0]) == str(Path(__file__).resolve().parent):
        del sys.path[0]  # this folder is not the app's business
    for name in ("source_only", "fork_state"):
        _siblings[name] = _sibling(name)
    _siblings["namespaces"] = _sibling("namespaces", SANDBOX_DIR)
    address = Path(argv[0])
    if os.fork():
        os._exit(0)
    os.setsid()
    try:
        host = Host(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            os._exit(0)
        raise
    address.with_suffix(".pid").write_text(str(os.getpid()))
    host.serve()


if __name__ == "__main__":
    main(sys.argv[1:])
