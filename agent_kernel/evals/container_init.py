"""The first process inside a container sandbox: it starts the app and answers for the container.

This file runs *inside* the sandbox (`container.py` starts it under bubblewrap), with the
app's interpreter and nothing of the workbench: standard library only. It plays the parts
Docker plays for a BaxBench container:

- the entry point: `python3 app.py` in the work directory, with the container's environment,
  its output in `app.log` of the control folder;
- the published port: connections arriving on `port.sock` (a Unix socket in the control
  folder, the only way in from outside the sandbox's network namespace) are relayed to the
  app's port on the sandbox's own loopback;
- the Docker API: one JSON request per connection on `control.sock` (`exec`, `put`, `get`,
  `stats`, `status`, `ready`), done here, so a command "run in the container" sees the
  container's files and processes, and a file put or read goes through the sandbox's view
  (a symlink the app made resolves inside the sandbox, never on the host).

    python3 container_init.py CONTROL_DIR
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shlex
import socket
import subprocess
import sys
import tarfile
import threading
from pathlib import Path
from typing import Any

CHUNK = 65536
EXEC_TIMEOUT = 120.0


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


def _relay(outer: socket.socket, port: int) -> None:
    """One connection from outside, to the app's port inside (closed at once if nothing listens)."""
    inner = None
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        candidate = socket.socket(family, socket.SOCK_STREAM)
        try:
            candidate.connect((host, port))
        except OSError:
            candidate.close()
            continue
        inner = candidate
        break
    if inner is None:
        outer.close()
        return
    back = threading.Thread(target=_pump, args=(inner, outer), daemon=True)
    back.start()
    _pump(outer, inner)
    back.join()
    inner.close()
    outer.close()


def _listen(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(64)
    return server


def _serve_port(server: socket.socket, port: int) -> None:
    while True:
        conn, _ = server.accept()
        threading.Thread(target=_relay, args=(conn, port), daemon=True).start()


class Init:
    """The app process and the answers about it."""

    def __init__(self, control: Path, config: dict[str, Any]) -> None:
        self.control = control
        self.config = config
        self.env: dict[str, str] = dict(config["env"])
        self.workdir: str = config["workdir"]
        with open(control / "app.log", "wb") as log:
            self.app = subprocess.Popen(
                config["entrypoint"],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "status":
            return {"running": self.app.poll() is None, "exit_code": self.app.poll()}
        if op == "ready":
            return {"ready": self._listening(), "running": self.app.poll() is None}
        if op == "exec":
            return self._exec(request)
        if op == "put":
            return self._put(request["path"], base64.b64decode(request["data"]))
        if op == "get":
            return self._get(request["path"])
        if op == "stats":
            return {"memory": _memory_bytes(), "running": self.app.poll() is None}
        return {"error": f"unknown request {op!r}"}

    def _listening(self) -> bool:
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.settimeout(0.5)
                try:
                    if probe.connect_ex((host, int(self.config["port"]))) == 0:
                        return True
                except OSError:
                    continue
        return False

    def _exec(self, request: dict[str, Any]) -> dict[str, Any]:
        cmd = request["cmd"]
        argv = shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]
        env = dict(self.env)
        env.update(request.get("environment") or {})
        want_out, want_err = request.get("stdout", True), request.get("stderr", True)
        try:
            done = subprocess.run(
                argv,
                cwd=request.get("workdir") or self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if want_out else subprocess.DEVNULL,
                stderr=(subprocess.STDOUT if want_out else subprocess.PIPE)
                if want_err
                else subprocess.DEVNULL,
                timeout=float(request.get("timeout") or EXEC_TIMEOUT),
            )
        except FileNotFoundError as exc:
            message = f"OCI runtime exec failed: {exc}\n".encode()
            return {"exit_code": 127, "output": base64.b64encode(message).decode()}
        except subprocess.TimeoutExpired:
            return {"exit_code": 124, "output": ""}
        output = (done.stdout or b"") if want_out else (done.stderr or b"")
        return {"exit_code": done.returncode, "output": base64.b64encode(output).decode()}

    def _put(self, path: str, data: bytes) -> dict[str, Any]:
        target = Path(path)
        if not target.is_dir():
            return {"error": f"could not find the file {path} in container", "status": 404}
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            if hasattr(tarfile, "tar_filter"):
                tar.extractall(target, filter="tar")
            else:  # an interpreter without extraction filters: strip the leading slashes
                for member in tar.getmembers():
                    member.name = member.name.lstrip("/")
                    tar.extract(member, target)
        return {"ok": True}

    def _get(self, path: str) -> dict[str, Any]:
        source = Path(path)
        if not source.exists():
            return {"error": f"Could not find the file {path} in container", "status": 404}
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            tar.add(str(source), arcname=source.name or "root")
        stat = {"name": source.name, "size": source.stat().st_size}
        return {"data": base64.b64encode(buffer.getvalue()).decode(), "stat": stat}


def _memory_bytes() -> int:
    """Resident memory of every process in the sandbox (what a container's cgroup counts)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def _serve_control(server: socket.socket, init: Init) -> None:
    while True:
        conn, _ = server.accept()
        threading.Thread(target=_answer, args=(conn, init), daemon=True).start()


def _answer(conn: socket.socket, init: Init) -> None:
    with conn:
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(CHUNK)
            if not chunk:
                break
            data += chunk
        try:
            reply = init.handle(json.loads(data))
        except Exception as exc:  # the request failed here; the caller gets the reason
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        conn.sendall(json.dumps(reply).encode() + b"\n")


def main(argv: list[str]) -> int:
    control = Path(argv[1])
    config = json.loads((control / "config.json").read_text())
    port_server = _listen(control / "port.sock")
    control_server = _listen(control / "control.sock.new")
    init = Init(control, config)
    port = int(config["port"])
    threading.Thread(target=_serve_port, args=(port_server, port), daemon=True).start()
    os.rename(control / "control.sock.new", control / "control.sock")  # the sign it is up
    _serve_control(control_server, init)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
