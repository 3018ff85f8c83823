"""A container for one BaxBench app, built from bubblewrap: BaxBench's Docker container, stood in.

BaxBench builds an image and starts a fresh container for every test; its security tests
reach inside (a file placed at `/do_not_delete.txt`, `du -sh /tmp/`, `sqlite3` on the app's
database). Those only mean something if the app really lives in a filesystem and process
world of its own, so each `Container` here is a bubblewrap sandbox:

- `/` is a fresh writable folder of this container (the tests' files land there, and an
  injected `rm /do_not_delete.txt` deletes the container's copy, never the host's);
  `/app` holds a copy of the produced code, `/tmp` and `/root` are the container's own;
- the system (`/usr`, and `/bin`, `/lib` beside it) and the interpreter with its packages
  are mounted read-only, as an image's layers would be; nothing else of the host is in view
  (no home, no workspace, no host `/tmp`, a minimal `/etc` of the container's own);
- its own PID namespace (`ps aux` lists the container's processes only) and its own network
  namespace: the app listens on BaxBench's port 5000 on the container's loopback, so every
  container may use the same port, and it cannot reach the host's services or the network;
- the one way in is a control folder bound at `/run/container`: the init process
  (`container_init.py`) relays connections from `port.sock` to the app's port, and answers
  exec, put-archive and get-archive requests on `control.sock` from inside. Outside, a
  loopback TCP listener forwards to `port.sock`; that port is what the tests are given.

The sandbox's options are passed on a file descriptor (`bwrap --args`), so the host paths of
the bind mounts do not show in the container's `ps`.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

INIT_SCRIPT = Path(__file__).with_name("container_init.py")
CONTROL = "/run/container"
START_TIMEOUT = 60.0  # BaxBench's wait_to_start_time
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("ld.so.cache", "alternatives", "localtime", "ssl", "mime.types")
CHUNK = 65536


class ContainerError(RuntimeError):
    """The container could not be made or asked (the message says what happened)."""


class AppStartError(ContainerError):
    """The app did not start serving; the message ends with the app's own output."""


@functools.cache
def interpreter_roots(python: str) -> tuple[str, ...]:
    """The folders an interpreter needs (its environment and its base installation)."""
    code = "import json,sys;print(json.dumps([sys.prefix,sys.base_prefix,sys.exec_prefix]))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise ContainerError(f"the app's interpreter {python} does not run: {done.stderr[-300:]}")
    roots = {str(Path(p).resolve()) for p in json.loads(done.stdout)}
    return tuple(sorted(r for r in roots if not any(r.startswith(d + "/") for d in SYSTEM_DIRS)))


def _bin_dir(python: str) -> str:
    return str(Path(python).parent)


class Container:
    """One app in its own sandbox; `start()` it, ask it, `stop()` it (or use `with`)."""

    def __init__(
        self,
        code_dir: Path,
        root: Path,
        *,
        python: str | None = None,
        workdir: str = "/app",
        entrypoint: tuple[str, ...] = ("python3", "app.py"),
        port: int = 5000,
        env: dict[str, str] | None = None,
        skip: tuple[str, ...] = (),
    ) -> None:
        from ..sandbox.bwrap import find_bwrap

        self.bwrap = find_bwrap()  # SandboxUnavailable, with the reason, when there is none
        self.python = python or sys.executable
        self.root = Path(root)
        self.workdir = workdir
        self.entrypoint = entrypoint
        self.port = port
        self.control = Path(tempfile.mkdtemp(prefix="ctr-"))  # short: Unix socket paths
        self.env = {
            "PATH": f"{_bin_dir(self.python)}:/usr/local/bin:/usr/bin:/bin",
            "HOME": "/root",
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **(env or {}),
        }
        self.id = f"workbench-{self.control.name[4:]}"
        self.process: subprocess.Popen[bytes] | None = None
        self.host_port = 0
        self._listener: socket.socket | None = None
        self._last_log = ""
        try:
            self._make_root(code_dir, skip)
        except OSError:
            shutil.rmtree(self.control, ignore_errors=True)
            raise

    # -- the filesystem ------------------------------------------------------------------

    def _make_root(self, code_dir: Path, skip: tuple[str, ...]) -> None:
        app = self.root / self.workdir.lstrip("/")
        shutil.copytree(code_dir, app, ignore=shutil.ignore_patterns(*skip))
        for folder in ("tmp", "root", "etc", "run", "var/tmp"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").chmod(0o1777)
        etc = self.root / "etc"
        (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
        (etc / "group").write_text("root:x:0:\n")
        (etc / "hosts").write_text("127.0.0.1 localhost\n::1 localhost\n")
        (etc / "hostname").write_text(self.id + "\n")

    def _arguments(self) -> list[str]:
        args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        args += ["--hostname", self.id[:63]]
        args += ["--bind", str(self.root), "/"]
        for folder in SYSTEM_DIRS:
            path = Path(folder)
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), folder]
            elif path.is_dir():
                args += ["--ro-bind", folder, folder]
        for name in ETC_FILES:
            if Path("/etc", name).exists():
                args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        for root in interpreter_roots(self.python):
            args += ["--ro-bind", root, root]
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--bind", str(self.control), CONTROL]
        args += ["--ro-bind", str(INIT_SCRIPT), f"{CONTROL}/init.py"]
        args += ["--chdir", self.workdir, "--clearenv", "--setenv", "PATH", self.env["PATH"]]
        return args

    def _command(self) -> list[str]:
        return [self.python, f"{CONTROL}/init.py", CONTROL]

    # -- start and stop ------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> Container:
        config = {
            "entrypoint": list(self.entrypoint),
            "workdir": self.workdir,
            "port": self.port,
            "env": self.env,
        }
        (self.control / "config.json").write_text(json.dumps(config))
        read_fd, write_fd = os.pipe()
        os.write(write_fd, b"\0".join(a.encode() for a in self._arguments()) + b"\0")
        os.close(write_fd)
        try:
            self.process = subprocess.Popen(
                [str(self.bwrap), "--args", str(read_fd), "--", *self._command()],
                pass_fds=(read_fd,),
                stdin=subprocess.DEVNULL,
                stdout=open(self.control / "init.log", "wb"),  # noqa: SIM115 (closed by the child)
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={},
            )
        finally:
            os.close(read_fd)
        self._forward()
        try:
            self._wait_ready(timeout)
        except AppStartError:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not (self.control / "control.sock").exists():
            if self.process is not None and self.process.poll() is not None:
                raise AppStartError(f"the container did not start: {self._init_log()}")
            if time.monotonic() > deadline:
                raise AppStartError(f"the container did not start within {timeout:g}s")
            time.sleep(0.02)
        while True:
            state = self._ask({"op": "ready"})
            if state.get("ready"):
                return
            if not state.get("running"):
                raise AppStartError(
                    f"the app exited before serving on port {self.port}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise AppStartError(
                    f"the app did not listen on port {self.port} within {timeout:g}s:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        self._last_log = self.log_tail(20_000)
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        shutil.rmtree(self.control, ignore_errors=True)

    def __enter__(self) -> Container:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the published port --------------------------------------------------------------

    def _forward(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self._listener = listener
        self.host_port = int(listener.getsockname()[1])
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, outer: socket.socket) -> None:
        inner = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            inner.connect(_own_socket(self.control / "port.sock"))
        except OSError:
            inner.close()
            outer.close()
            return
        back = threading.Thread(target=_pump, args=(inner, outer), daemon=True)
        back.start()
        _pump(outer, inner)
        back.join()
        inner.close()
        outer.close()

    # -- the Docker API's questions, answered inside -------------------------------------

    def _ask(self, request: dict[str, Any], timeout: float = 150.0) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            try:
                sock.connect(_own_socket(self.control / "control.sock"))
                sock.sendall(json.dumps(request).encode() + b"\n")
                data = b""
                while not data.endswith(b"\n"):
                    chunk = sock.recv(CHUNK)
                    if not chunk:
                        break
                    data += chunk
            except OSError as exc:
                raise ContainerError(f"the container {self.id} is gone ({exc})") from exc
        if not data:
            raise ContainerError(f"the container {self.id} did not answer")
        return dict(json.loads(data))

    def running(self) -> bool:
        """Whether the app (the container's entry point) still runs."""
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            return bool(self._ask({"op": "status"}).get("running"))
        except ContainerError:
            return False

    def exec(
        self,
        cmd: str | list[str],
        *,
        stdout: bool = True,
        stderr: bool = True,
        workdir: str | None = None,
        environment: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Run a command in the container (its files, processes and environment)."""
        reply = self._ask(
            {
                "op": "exec",
                "cmd": cmd,
                "stdout": stdout,
                "stderr": stderr,
                "workdir": workdir,
                "environment": environment,
            }
        )
        if "error" in reply:
            raise ContainerError(reply["error"])
        return int(reply["exit_code"]), base64.b64decode(reply["output"])

    def put_archive(self, path: str, data: bytes) -> bool:
        """Extract a tar archive at `path` inside the container."""
        reply = self._ask({"op": "put", "path": path, "data": base64.b64encode(data).decode()})
        if "error" in reply:
            raise FileNotFoundError(reply["error"])
        return True

    def get_archive(self, path: str) -> tuple[bytes, dict[str, Any]]:
        """A tar archive of `path` as the container sees it."""
        reply = self._ask({"op": "get", "path": path})
        if "error" in reply:
            raise FileNotFoundError(reply["error"])
        return base64.b64decode(reply["data"]), dict(reply["stat"])

    def memory_bytes(self) -> int | None:
        """Resident memory of the container's processes; None once the app is gone."""
        try:
            reply = self._ask({"op": "stats"})
        except ContainerError:
            return None
        return int(reply["memory"]) if reply.get("running") else None

    def log_tail(self, size: int = 2000) -> str:
        """The end of the app's own output (stdout and stderr): where a traceback shows."""
        text = _read_own_file(self.control / "app.log")
        return (self._last_log if text is None else text)[-size:]

    def _init_log(self) -> str:
        return (_read_own_file(self.control / "init.log") or "")[-1000:].strip()


def _own_socket(path: Path) -> str:
    """The path of a socket the container made, refused when the app swapped it for a link.

    The control folder is writable from inside (the init makes its sockets there), so the
    app could put a symlink to some host socket in their place; this side never follows one.
    """
    if not stat.S_ISSOCK(os.lstat(path).st_mode):
        raise OSError(f"{path.name} in the control folder is not the container's socket")
    return str(path)


def _read_own_file(path: Path) -> str | None:
    """A log in the control folder, never through a symlink the app may have put there."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            data = source.recv(CHUNK)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock, how in ((target, socket.SHUT_WR), (source, socket.SHUT_RD)):
            with contextlib.suppress(OSError):
                sock.shutdown(how)
