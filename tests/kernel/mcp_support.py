"""Starting real MCP servers for tests: the demo server's config, a free loopback port, and
an HTTP server process that is waited for and stopped."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

DEMO = Path(__file__).parent / "mcp_servers" / "demo_server.py"


def demo_stdio(**extra: object) -> dict[str, object]:
    return {"command": sys.executable, "args": [str(DEMO)], **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def http_server(
    argv: Sequence[str], port: int, timeout: float = 30.0, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run `argv` (a server on 127.0.0.1:`port`), yield its MCP URL, stop it afterwards."""
    environ = {**os.environ, **(env or {})}
    process = subprocess.Popen(
        list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environ
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server did not listen in time")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
