from collections.abc import Callable
from dataclasses import dataclass

import docker

# Made at import time, as the real checkout does: the adapter must stand in for it first.
_client = docker.from_env()

type DatabaseCheck = Callable[[str], bool]


@dataclass(frozen=True)
class Env:
    language: str
    framework: str
    workdir: str
    sqlite_database: str
    code_filename: str
    entrypoint_cmd: str
    allowed_packages: str
    env_instructions: str
    is_multi_file: bool = False
    port: int = 5000
