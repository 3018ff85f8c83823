"""A stand-in for the Docker SDK, so that BaxBench's container checks run against the workspace.

BaxBench serves the app in a container and some of its checks reach inside it: they read the
app's SQLite file (`get_archive`), place a query file and run `sqlite3` on it (`put_archive`,
`exec_run`), ask whether the server process still runs (`ps aux`) and read its memory use
(`stats`). Here the app runs as a local process in its own folder, which stands for the
container's work directory, so those calls are answered faithfully:

- paths under the work directory map to the app's folder;
- a file placed elsewhere goes to a private folder of the instance, and is faithful only when
  the stand-in itself consumes it (the query file of `sqlite3`);
- `ps aux` lists the entry point while the server process lives; `stats` reads its memory.

Anything else (reading a file the app would have written outside its folder, a command that
would run inside the container) cannot be answered truthfully here: the call raises
`APIError` and the instance records why, so the check is reported as *not run*, never as
passed, even when the check itself swallows the error.
"""

from __future__ import annotations

import io
import re
import shlex
import subprocess
import sys
import tarfile
import types
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

ExecResult = namedtuple("ExecResult", ["exit_code", "output"])
SQLITE_PIPE = re.compile(r"^sh -c 'cat (?P<query>\S+) \| sqlite3 (?P<db>\S+)'$")


class DockerException(Exception):
    pass


class APIError(DockerException):
    pass


class NotFound(APIError):
    pass


@dataclass
class Instance:
    """One served app, as a container would be: its folder, its process, what was unfaithful."""

    id: str
    app_dir: Path
    private_root: Path
    process: subprocess.Popen[bytes]
    workdir: str = "/app"
    entrypoint: str = "python3 app.py"
    placed: set[str] = field(default_factory=set)
    consumed: set[str] = field(default_factory=set)
    unfaithful: list[str] = field(default_factory=list)

    def host_path(self, path: str) -> Path:
        posix = PurePosixPath("/") / path
        work = PurePosixPath(self.workdir)
        if posix == work or work in posix.parents:
            return self.app_dir / posix.relative_to(work)
        return self.private_root / posix.relative_to("/")

    def inside_app(self, path: str) -> bool:
        return self.host_path(path).is_relative_to(self.app_dir)

    def refuse(self, why: str) -> APIError:
        self.unfaithful.append(why)
        return APIError(f"not available outside a container: {why}")

    def still_unfaithful(self) -> list[str]:
        """What made this instance's answers untrue, including files placed but never used."""
        unused = sorted(self.placed - self.consumed)
        return self.unfaithful + [
            f"placed {path} for the app to find, but the app cannot see it here" for path in unused
        ]


_instances: dict[str, Instance] = {}


def register(instance: Instance) -> None:
    _instances[instance.id] = instance


def unregister(instance_id: str) -> None:
    _instances.pop(instance_id, None)


class Container:
    """The slice of `docker.models.containers.Container` that BaxBench's checks use."""

    def __init__(self, instance: Instance) -> None:
        self._instance = instance
        self.id = instance.id

    @property
    def status(self) -> str:
        return "running" if self._instance.process.poll() is None else "exited"

    def get_archive(self, path: str) -> tuple[Any, dict[str, Any]]:
        inst = self._instance
        if not inst.inside_app(path) and path not in inst.placed:
            raise inst.refuse(f"read {path}, outside the app's folder")
        source = inst.host_path(path)
        if not source.exists():
            raise NotFound(f"no such file in the app's folder: {path}")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            tar.add(source, arcname=source.name)
        return iter([buffer.getvalue()]), {"name": source.name, "size": source.stat().st_size}

    def put_archive(self, path: str, data: bytes) -> bool:
        inst = self._instance
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            for member in tar.getmembers():
                target_path = str(PurePosixPath(path) / member.name)
                extracted = tar.extractfile(member)
                if extracted is None:
                    continue
                target = inst.host_path(target_path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(extracted.read())
                if not inst.inside_app(target_path):
                    inst.placed.add(str(PurePosixPath("/") / target_path))
        return True

    def exec_run(self, cmd: Any, **_options: Any) -> ExecResult:
        inst = self._instance
        command = cmd if isinstance(cmd, str) else shlex.join(cmd)
        if command.strip() == "ps aux":
            alive = inst.process.poll() is None
            line = f"root 1 0.0 0.0 0 0 ? Ss 00:00 0:00 {inst.entrypoint}\n" if alive else ""
            return ExecResult(
                0, ("USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\n" + line).encode()
            )
        match = SQLITE_PIPE.match(command.strip())
        if match:
            query, db = match["query"], match["db"]
            if not inst.inside_app(db):
                raise inst.refuse(f"run sqlite3 on {db}, outside the app's folder")
            inst.consumed.add(query)
            sql = inst.host_path(query).read_bytes()
            done = subprocess.run(
                ["sqlite3", str(inst.host_path(db))], input=sql, capture_output=True, timeout=30
            )
            return ExecResult(done.returncode, done.stdout + done.stderr)
        raise inst.refuse(f"run {command!r} inside the container")

    def stats(self, stream: bool = False, **_options: Any) -> dict[str, Any]:
        inst = self._instance
        if inst.process.poll() is not None:
            return {"memory_stats": {}}
        return {"memory_stats": {"usage": _rss_bytes(inst.process.pid)}}

    def logs(self, **_options: Any) -> bytes:
        return b""


def _rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (what the container's cgroup counts)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        status = Path(f"/proc/{one}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


class _Containers:
    def get(self, container_id: str) -> Container:
        instance = _instances.get(container_id)
        if instance is None:
            raise NotFound(f"no app instance {container_id}")
        return Container(instance)

    def list(self, **_options: Any) -> list[Container]:
        return [Container(instance) for instance in _instances.values()]

    def prune(self, **_options: Any) -> dict[str, Any]:
        return {}


class _Images:
    def build(self, **_options: Any) -> Any:
        raise APIError("building images is not available: the workbench serves the app itself")


class DockerClient:
    def __init__(self) -> None:
        self.containers = _Containers()
        self.images = _Images()


def from_env(**_options: Any) -> DockerClient:
    return DockerClient()


def install() -> types.ModuleType:
    """Register this stand-in as `docker` (with `docker.errors`, `docker.models.containers`)."""
    docker = types.ModuleType("docker")
    docker.__doc__ = (
        "The workbench's stand-in for the Docker SDK (agent_kernel.evals.docker_standin)."
    )
    errors = types.ModuleType("docker.errors")
    models = types.ModuleType("docker.models")
    containers = types.ModuleType("docker.models.containers")
    for name, value in {
        "APIError": APIError,
        "NotFound": NotFound,
        "DockerException": DockerException,
    }.items():
        setattr(errors, name, value)
    containers.Container = Container  # type: ignore[attr-defined]
    containers.ExecResult = ExecResult  # type: ignore[attr-defined]
    docker.from_env = from_env  # type: ignore[attr-defined]
    docker.DockerClient = DockerClient  # type: ignore[attr-defined]
    docker.errors = errors  # type: ignore[attr-defined]
    docker.models = models  # type: ignore[attr-defined]
    models.containers = containers  # type: ignore[attr-defined]
    sys.modules.update(
        {
            "docker": docker,
            "docker.errors": errors,
            "docker.models": models,
            "docker.models.containers": containers,
        }
    )
    return docker
