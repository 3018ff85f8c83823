"""The Docker SDK, stood in: BaxBench's container calls answered by the app's `Container`.

BaxBench's tests reach into the container through the Docker SDK: they place files
(`put_archive`), read them back (`get_archive`), run commands (`exec_run`: `ps aux`,
`du -sh /tmp/`, `sqlite3` on the app's database) and read its memory (`stats`). Here each
served app has a `container.Container` (a bubblewrap sandbox), registered under the id its
`AppInstance` carries, and every such call is done inside it, as Docker would: a file put
at `/x` is the app's `/x`, a command sees the app's files and processes, nothing lands on
the host. The SDK's errors are mirrored (`docker.errors.NotFound`, `APIError`), so the
tests' own error handling works as it does against Docker.
"""

from __future__ import annotations

import sys
import types
from collections import namedtuple
from typing import Any

from .container import Container as Sandbox
from .container import ContainerError

ExecResult = namedtuple("ExecResult", ["exit_code", "output"])


class DockerException(Exception):
    pass


class APIError(DockerException):
    pass


class NotFound(APIError):
    pass


_containers: dict[str, Sandbox] = {}


def register(container: Sandbox) -> None:
    _containers[container.id] = container


def unregister(container_id: str) -> None:
    _containers.pop(container_id, None)


class Container:
    """The slice of `docker.models.containers.Container` that BaxBench's tests use."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self.id = sandbox.id
        self.name = sandbox.id

    @property
    def status(self) -> str:
        return "running" if self._sandbox.running() else "exited"

    def get_archive(self, path: str, **_options: Any) -> tuple[Any, dict[str, Any]]:
        try:
            data, stat = self._sandbox.get_archive(path)
        except FileNotFoundError as exc:
            raise NotFound(str(exc)) from exc
        except ContainerError as exc:
            raise APIError(str(exc)) from exc
        return iter([data]), stat

    def put_archive(self, path: str, data: bytes) -> bool:
        try:
            return self._sandbox.put_archive(path, bytes(data))
        except FileNotFoundError as exc:
            raise NotFound(str(exc)) from exc
        except ContainerError as exc:
            raise APIError(str(exc)) from exc

    def exec_run(
        self,
        cmd: Any,
        stdout: bool = True,
        stderr: bool = True,
        workdir: str | None = None,
        environment: Any = None,
        **_options: Any,
    ) -> ExecResult:
        if not self._sandbox.running():
            raise APIError(f"409 Client Error: container {self.id} is not running")
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        try:
            code, output = self._sandbox.exec(
                cmd, stdout=stdout, stderr=stderr, workdir=workdir, environment=environment
            )
        except ContainerError as exc:
            raise APIError(str(exc)) from exc
        return ExecResult(code, output)

    def stats(self, stream: bool = False, **_options: Any) -> dict[str, Any]:
        usage = self._sandbox.memory_bytes()
        return {"memory_stats": {} if usage is None else {"usage": usage}}

    def logs(self, **_options: Any) -> bytes:
        return self._sandbox.log_tail(1_000_000).encode()

    def remove(self, **_options: Any) -> None:
        self._sandbox.stop()
        unregister(self.id)

    def stop(self, **_options: Any) -> None:
        self._sandbox.stop()


class _Containers:
    def get(self, container_id: str) -> Container:
        sandbox = _containers.get(container_id)
        if sandbox is None:
            raise NotFound(f"404 Client Error: no such container: {container_id}")
        return Container(sandbox)

    def list(self, **_options: Any) -> list[Container]:
        return [Container(sandbox) for sandbox in _containers.values()]

    def prune(self, **_options: Any) -> dict[str, Any]:
        return {}


class _Images:
    def build(self, **_options: Any) -> Any:
        raise APIError("building images is not available: the workbench serves the app itself")


class DockerClient:
    def __init__(self, **_options: Any) -> None:
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
