"""The same sandbox, entered by a process that is already running: a run forked from the warm
pytest server.

bubblewrap sandboxes a program it starts; a forked run has its stack imported already and
must not exec. So the child makes the namespaces bubblewrap makes (user, mount, PID, IPC,
network, UTS), builds the same root from the policy's mount steps, pivots into it, brings up
loopback and drops every capability, then goes on as the run. Stdlib only, without
relative imports: the warm server may run on a project's own interpreter and load this file
by path. Linux only; `enter` raises OSError where the
kernel refuses a step, and the caller reports the run as failed to start.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import platform
import signal
import socket
import struct
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE, MS_SILENT = 32, 4096, 16384, 1 << 18, 32768
MS_NOATIME, MS_NODIRATIME, MS_RELATIME, MS_STRICTATIME = 1024, 2048, 1 << 21, 1 << 24
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 38, 47
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41}
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
# statvfs flags -> mount flags, kept on a read-only remount (a locked flag cannot be dropped)
KEPT_FLAGS = {
    os.ST_NOSUID: MS_NOSUID,
    os.ST_NODEV: MS_NODEV,
    os.ST_NOEXEC: MS_NOEXEC,
    os.ST_NOATIME: MS_NOATIME,
    os.ST_NODIRATIME: MS_NODIRATIME,
    os.ST_RELATIME: MS_RELATIME,
}

_libc = ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"sandbox: {what}: {os.strerror(code)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _call(
        _libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {source or fstype} on {target}",
    )


def _pivot_root(new: str, old: str) -> None:
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(errno.ENOSYS, f"sandbox: no pivot_root number for {platform.machine()}")
    _call(_libc.syscall(number, new.encode(), old.encode()), "pivot_root")


def enter_forked(spec: dict[str, Any]) -> None:
    """Enter the sandbox a `Launch.fork_spec` describes, and relay its endpoints inside."""
    enter([_Step(**step) for step in spec["steps"]], spec["cwd"])
    if spec.get("ports"):
        _network().relay(spec["ports"], spec["net_dir"])


class _Step:
    """A mount step as plain data (the same fields as `policy.Step`)."""

    def __init__(self, kind: str, dest: str, source: str = "") -> None:
        self.kind, self.dest, self.source = kind, dest, source


def _network() -> Any:
    if __package__:
        from . import network
    else:  # loaded by path: its sibling too
        import importlib.util
        import sys

        path = Path(__file__).with_name("network.py")
        spec = importlib.util.spec_from_file_location("_workbench_sandbox_network", path)
        assert spec is not None and spec.loader is not None
        network = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = network
        spec.loader.exec_module(network)
    return network


def enter(steps: list[Any], cwd: str) -> None:
    """Become a sandboxed process (returns in the sandbox, as PID 1 of its namespace).

    The calling process stays outside as the sandbox's parent: it waits for the sandboxed
    child and exits with its status, so its caller sees one process that ends as the run ends.
    Must be called single-threaded (a fresh fork is).
    """
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET
    _call(_libc.unshare(flags | CLONE_NEWUTS), "unshare")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    child = os.fork()  # the first child is PID 1 of the new namespace
    if child:
        _wait_and_exit(child)
    _call(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")
    _build_root(steps)
    os.chdir(cwd)
    _loopback_up()
    _drop_capabilities()


def _wait_and_exit(child: int) -> None:
    """Outside: forward the signals that stop a run, then exit as the sandboxed child did."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda sig, _frame: os.kill(child, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def _build_root(steps: list[Any]) -> None:
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    base = "/tmp"  # any folder will do: a tmpfs on it becomes the new root's scaffold
    _mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    os.chdir(base)
    os.mkdir("newroot", 0o755)
    _mount("newroot", "newroot", None, MS_BIND | MS_REC | MS_SILENT)
    os.mkdir("oldroot", 0o755)
    _pivot_root(base, "oldroot")  # the old root is now /oldroot, the host's /tmp visible again
    os.chdir("/")
    for step in steps:
        _apply(step, "/newroot" + step.dest, "/oldroot" + step.source if step.source else "")
    _call(_libc.umount2(b"/oldroot", MNT_DETACH), "umount oldroot")
    os.chdir("/newroot")
    _pivot_root(".", ".")
    _call(_libc.umount2(b".", MNT_DETACH), "umount the scaffold")
    os.chdir("/")


def _apply(step: Any, dest: str, source: str) -> None:
    kind = step.kind
    if kind in ("ro", "rw"):
        is_dir = os.path.isdir(source)
        _make(dest, is_dir)
        _mount(source, dest, None, MS_BIND | MS_REC | MS_SILENT)
        if kind == "ro":
            _remount_read_only(dest)
    elif kind == "tmpfs":
        _make(dest, True)
        _mount("tmpfs", dest, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    elif kind == "dir":
        _make(dest, True)
    elif kind == "symlink":
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.symlink(step.source, dest)
    elif kind == "mask":
        _mount(source, dest, None, MS_BIND | MS_SILENT)
        _remount_read_only(dest)
    elif kind == "proc":
        _make(dest, True)
        _mount("proc", dest, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    elif kind == "dev":
        _dev(dest)
    else:
        raise OSError(errno.EINVAL, f"sandbox: unknown mount step {kind!r}")


def _dev(dest: str) -> None:
    """A minimal /dev as bubblewrap's --dev makes it: a few devices bound from the host."""
    _make(dest, True)
    _mount("tmpfs", dest, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755")
    for name in DEVICES:
        if os.path.exists(f"/oldroot/dev/{name}"):
            _make(f"{dest}/{name}", False)
            _mount(f"/oldroot/dev/{name}", f"{dest}/{name}", None, MS_BIND | MS_SILENT)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{dest}/{name}")
    os.mkdir(f"{dest}/shm", 0o1777)
    _mount("tmpfs", f"{dest}/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")


def _make(path: str, is_dir: bool) -> None:
    if is_dir:
        os.makedirs(path, exist_ok=True)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


def _remount_read_only(dest: str) -> None:
    """Read-only, for the bind and every mount beneath it, keeping flags a lock holds."""
    targets = [dest]
    with open("/oldroot/proc/self/mountinfo", encoding="utf-8") as info:
        for line in info:
            point = _unescape(line.split()[4])
            if point.startswith(dest.rstrip("/") + "/"):
                targets.append(point)
    for target in targets:
        try:
            kept = os.statvfs(target).f_flag
        except OSError:
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_SILENT
        flags |= sum(bit for st, bit in KEPT_FLAGS.items() if kept & st)
        _mount(None, target, None, flags)


def _unescape(text: str) -> str:
    return text.encode().decode("unicode_escape") if "\\" in text else text


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        current = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", current | IFF_UP))


def _drop_capabilities() -> None:
    """No capability left, none to regain on exec, no setuid program that could add one."""
    _libc.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != errno.EINVAL:
            raise OSError(ctypes.get_errno(), f"sandbox: dropping capability {cap}")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    _call(_libc.capset(header, data), "capset")
    _call(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
