"""The network a sandbox reaches: only the endpoints its policy names, through Unix sockets.

A sandbox has a network namespace of its own (loopback only), so nothing outside is
reachable. For each allowed endpoint (its database, say 127.0.0.1:5432) the caller listens on
a Unix socket in a private folder (`Forwarder`), which the sandbox sees read-only; inside, a
relay listens on the sandbox's own 127.0.0.1 at the same port and passes each connection to
that socket (`relay`). This is the design of Claude Code's sandbox runtime: no route out,
proxies bridged in over Unix sockets.

Stdlib only, and runnable as a script: `python network.py PORT [PORT ...] -- ARGV` relays in
the sandbox while ARGV runs (bubblewrap's programs), exiting with ARGV's status.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable

CHUNK = 65536


def _pump(source: socket.socket, dest: socket.socket) -> None:
    try:
        while data := source.recv(CHUNK):
            dest.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dest.shutdown(socket.SHUT_WR)


def _bridge(client: socket.socket, connect: Callable[[], socket.socket]) -> None:
    try:
        upstream = connect()
    except OSError:
        client.close()
        return
    back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    back.start()
    _pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def _serve(listener: socket.socket, connect: Callable[[], socket.socket]) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return  # closed
        threading.Thread(target=_bridge, args=(client, connect), daemon=True).start()


def socket_name(port: int) -> str:
    return f"{port}.sock"


class Forwarder:
    """Outside: one Unix socket per endpoint in a private folder, each connection passed on
    to the endpoint over TCP. Close it when the sandboxed process is done."""

    def __init__(self, endpoints: Iterable[tuple[str, int]]) -> None:
        self.folder = tempfile.mkdtemp(prefix="workbench-net-")
        self._listeners: list[socket.socket] = []
        for host, port in endpoints:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(os.path.join(self.folder, socket_name(port)))
            listener.listen(16)
            self._listeners.append(listener)

            def connect(host: str = host, port: int = port) -> socket.socket:
                return socket.create_connection((host, port), timeout=10)

            threading.Thread(target=_serve, args=(listener, connect), daemon=True).start()

    def close(self) -> None:
        for listener in self._listeners:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Forwarder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def relay(ports: Iterable[int], net_dir: str) -> None:
    """Inside: listen on 127.0.0.1:PORT for each port, passing connections to the sockets."""
    for port in ports:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        path = os.path.join(net_dir, socket_name(port))

        def connect(path: str = path) -> socket.socket:
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(path)
            return upstream

        threading.Thread(target=_serve, args=(listener, connect), daemon=True).start()


def main(argv: list[str]) -> int:
    """`network.py NET_DIR PORT... -- ARGV`: relay while ARGV runs, exit as it exits."""
    split = argv.index("--")
    net_dir, ports, command = argv[0], [int(p) for p in argv[1:split]], argv[split + 1 :]
    relay(ports, net_dir)
    child = os.fork()
    if child == 0:
        try:
            os.execvp(command[0], command)
        except OSError as exc:
            print(f"sandbox: cannot run {command[0]}: {exc}", file=sys.stderr)
            os._exit(127)
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
