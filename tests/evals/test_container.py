"""The container BaxBench's tests reach into: a bubblewrap sandbox per app, asked from outside.

Each test starts a real container (the sandbox and a small app in it) and checks what the
issue asks of a container: a file placed at `/x` is the app's `/x` and nowhere on the host,
a command run "in the container" sees the app's files and processes, the host is out of view,
the port is reachable only through the forwarder, and a failed start shows the app's output.
"""

from __future__ import annotations

import io
import socket
import tarfile
from pathlib import Path

import pytest
import requests

from agent_kernel.evals import docker_standin
from agent_kernel.evals.container import AppStartError, Container

# A tiny app on the standard library: it reads and deletes files as asked, in its own world.
APP = """
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?", 1)[1] if "?" in self.path else "/"
        if self.path.startswith("/read"):
            body = {"exists": os.path.exists(path),
                    "text": open(path).read() if os.path.isfile(path) else None}
        elif self.path.startswith("/delete"):
            os.remove(path)
            body = {"deleted": path}
        else:
            body = {"listing": sorted(os.listdir(path))}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

HTTPServer(("0.0.0.0", 5000), Handler).serve_forever()
"""


def _tar(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def container(tmp_path: Path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(APP)
    with Container(code, tmp_path / "root", env={"APP_SECRET": "s"}) as running:
        yield running


def _get(container: Container, what: str) -> dict:
    url = f"http://localhost:{container.host_port}/{what}"
    return requests.get(url, timeout=10).json()


def test_a_file_put_at_x_is_seen_by_the_app_at_x_and_absent_on_the_host(container):
    name = f"/workbench-container-test-{container.id}.txt"
    container.put_archive("/", _tar(name, b"placed by the test"))
    assert _get(container, f"read?{name}") == {"exists": True, "text": "placed by the test"}
    assert not Path(name).exists()
    # Read back through the container's view, then deleted by the app: gone in there too.
    data, stat = container.get_archive(name)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.extractfile(Path(name).name).read() == b"placed by the test"
    assert stat["size"] == len(b"placed by the test")
    _get(container, f"delete?{name}")
    with pytest.raises(FileNotFoundError):
        container.get_archive(name)


def test_a_command_in_the_container_sees_the_apps_files_and_processes(container):
    code, output = container.exec("ls /app")
    assert code == 0 and output.split() == [b"app.py"]
    code, output = container.exec("ps aux")
    assert b"python3 app.py" in output
    assert len(output.decode().strip().splitlines()) <= 6  # its own processes, not the host's
    code, output = container.exec(["sh", "-c", "echo out; echo err >&2"], stderr=False)
    assert output == b"out\n"
    code, output = container.exec("du -sh /tmp/", stderr=False)
    assert code == 0 and output.split()[-1] == b"/tmp/"
    assert container.memory_bytes() and container.memory_bytes() > 1_000_000


def test_the_host_is_out_of_view_and_the_system_is_read_only(container, tmp_path):
    listing = _get(container, "list?/")["listing"]
    assert "app" in listing and "home" not in listing
    assert _get(container, f"read?{tmp_path}")["exists"] is False  # the host's temp folder
    code, output = container.exec(["sh", "-c", "echo x > /usr/workbench-probe"])
    assert code != 0 and not Path("/usr/workbench-probe").exists()
    code, output = container.exec(["sh", "-c", "echo x > /tmp/probe && cat /tmp/probe"])
    assert code == 0 and output == b"x\n"  # its own /tmp is writable


def test_the_app_listens_on_its_own_loopback_reached_through_the_published_port(container):
    # Port 5000 inside the container's own network namespace; the tests get another port.
    assert container.host_port != 5000
    _code, output = container.exec(
        [
            "python3",
            "-c",
            "import socket; s = socket.create_connection(('127.0.0.1', 5000)); print('in')",
        ]
    )
    assert output.strip() == b"in"
    assert _get(container, "list?/app") == {"listing": ["app.py"]}


def test_the_docker_sdk_stand_in_answers_from_the_container(container):
    docker_standin.register(container)
    try:
        client = docker_standin.from_env()
        sdk = client.containers.get(container.id)
        assert sdk.status == "running"
        assert sdk.put_archive("/", _tar("/placed.txt", b"hi"))
        result = sdk.exec_run("cat /placed.txt")
        assert (result.exit_code, result.output) == (0, b"hi")
        with pytest.raises(docker_standin.NotFound):
            sdk.get_archive("/nothing-here")
        assert sdk.stats(stream=False)["memory_stats"]["usage"] > 0
    finally:
        docker_standin.unregister(container.id)
    with pytest.raises(docker_standin.NotFound):
        docker_standin.from_env().containers.get(container.id)


def test_a_failed_start_shows_the_apps_own_output(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("import sys\nraise SystemExit('no database configured')\n")
    with pytest.raises(AppStartError, match="no database configured"):
        Container(code, tmp_path / "root").start(timeout=20)


def test_the_host_never_follows_a_link_the_app_puts_in_the_control_folder(container, tmp_path):
    # The control folder is writable from inside; a link there must not reach the host.
    host_socket = tmp_path / "host.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(host_socket))
    server.listen(1)
    server.settimeout(1.0)
    swap = (
        "rm /run/container/app.log /run/container/port.sock; "
        "ln -s /etc/passwd /run/container/app.log; "
        f"ln -s {host_socket} /run/container/port.sock"
    )
    code, output = container.exec(["sh", "-c", swap])
    assert code == 0, output
    assert "root:" not in container.log_tail()  # the host's /etc/passwd is not read
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{container.host_port}/", timeout=5)
    with pytest.raises(TimeoutError):
        server.accept()  # nothing was relayed to the host's socket
    server.close()
