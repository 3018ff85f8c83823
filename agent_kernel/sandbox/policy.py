"""What a sandboxed process may see: one description, turned into mounts by either launcher.

A `Policy` names the writable trees (the workspace), the read-only ones (the interpreter, its
packages, the system), what is masked inside them (`.env` files, the workbench's records),
the environment (built, never inherited) and the endpoints forwarded in. `layout()` turns it
into an ordered list of mount steps that `bwrap` (for a program it starts) and `namespaces`
(for a run forked from the warm pytest server) both apply, so the two cannot drift apart.
"""

from __future__ import annotations

import contextlib
import os
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The system a program needs to run, read-only; what does not exist here is skipped.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# Readable by the (namespaced) owner even read-only: masked with an empty file.
SENSITIVE_SYSTEM_FILES = (
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/ssh/ssh_host_rsa_key",
    "/etc/ssh/ssh_host_ecdsa_key",
    "/etc/ssh/ssh_host_ed25519_key",
)
SANDBOX_HOME = "/tmp/home"
# Variables a process may take from the caller's environment: locale and terminal only.
INHERITED = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TERM")
NET_DIR = "/run/workbench-net"  # where the forwarded endpoints' Unix sockets appear inside


@dataclass(frozen=True)
class Endpoint:
    """A TCP endpoint outside that the sandbox reaches on its own loopback, same port."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Step:
    """One mount step: `ro`/`rw` bind, `tmpfs`, `dev`, `proc`, `mask` (the empty file in `source`
    over a file), `symlink` (target in `source`), `dir`."""

    kind: str
    dest: str
    source: str = ""


@dataclass(frozen=True)
class Policy:
    writable: tuple[Path, ...]
    env: Mapping[str, str]
    read_only: tuple[Path, ...] = ()
    protected: tuple[Path, ...] = ()  # read-only although inside a writable tree
    masked: tuple[Path, ...] = ()  # files shown empty (secrets: .env files)
    endpoints: tuple[Endpoint, ...] = ()
    exchange: tuple[Path, ...] = field(default=())  # private writable folders (results out)

    def layout(self, net_dir: str | None = None) -> list[Step]:
        """The mount steps, parents before children; `net_dir` is the host folder whose
        sockets appear at NET_DIR."""
        steps: list[Step] = []
        for name in SYSTEM_DIRS:
            path = Path(name)
            if path.is_symlink():
                steps.append(Step("symlink", name, os.readlink(path)))
            elif path.is_dir():
                steps.append(Step("ro", name, name))
        empty = str(empty_file())
        steps += [Step("mask", f, empty) for f in SENSITIVE_SYSTEM_FILES if Path(f).is_file()]
        # The private /tmp first: what is bound below comes on top of it (a project's venv
        # or workspace may well live under the host's /tmp).
        steps += [Step("tmpfs", "/tmp"), Step("dir", SANDBOX_HOME), Step("dev", "/dev")]
        steps.append(Step("proc", "/proc"))
        if net_dir is not None:
            steps += [Step("tmpfs", "/run"), Step("ro", NET_DIR, net_dir)]
        for path in _dedupe(self.read_only + interpreter_paths()):
            if not any(_within(path, Path(d)) for d in SYSTEM_DIRS if Path(d).is_dir()):
                steps.append(Step("ro", str(path), str(path)))
        for path in self.read_only:  # one reached through a link (a .venv linking elsewhere)
            if path.is_symlink() and path.resolve().is_dir():
                steps.append(Step("ro", str(path.absolute()), str(path.resolve())))
        for path in _dedupe(self.writable):
            steps.append(Step("rw", str(path), str(path)))
        for path in self.protected:
            if path.exists() and not path.is_symlink():
                steps.append(Step("ro", str(path), str(path)))
        for path in _dedupe(self.exchange):  # may lie inside a protected folder
            steps.append(Step("rw", str(path), str(path)))
        masked = [p for p in self.masked if p.is_file() and not p.is_symlink()]
        steps += [Step("mask", str(p), empty) for p in masked]
        return steps


EMPTY = Path(__file__).with_name("empty.txt")  # shipped empty, read-only to everyone


def empty_file() -> Path:
    """An empty file, bound over what a sandbox must not read (it ships with the package, so
    nothing is made for it in the host's /tmp)."""
    return EMPTY


def interpreter_paths() -> tuple[Path, ...]:
    """The interpreter and its packages (venv and base install), and the workbench's own
    package where it is installed in place (an editable install of this repository)."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        with contextlib.suppress(KeyError):
            paths.add(Path(sysconfig.get_paths()[key]).resolve())
    package = Path(__file__).resolve().parents[1]  # agent_kernel/
    paths.add(package)
    return tuple(sorted(paths))


def sandbox_environment(
    extra: Mapping[str, str], interpreter_bin: str | None = None
) -> dict[str, str]:
    """A process's environment from the allowlist: locale, a PATH of the interpreter's and the
    system's binaries, a private HOME and TMPDIR; then `extra` (the project's settings)."""
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    bin_dir = interpreter_bin or str(Path(sys.executable).parent)
    env.update(
        {
            "PATH": os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": SANDBOX_HOME,
            "TMPDIR": "/tmp",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra)
    return env


def _within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def _dedupe(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    """Resolved, existing, without paths that another one already contains."""
    resolved = sorted({p.resolve() for p in paths if p.exists()}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in resolved:
        if not any(_within(path, k) for k in kept):
            kept.append(path)
    return tuple(kept)
