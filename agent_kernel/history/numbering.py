"""Atomic `NNNN-` numbering for PHR and ADR files, safe across threads and processes.

Three layers, each enough on its own on a local disk: a per-folder thread lock, an
`fcntl.flock` on a lock file in the folder (other processes), and exclusive creation of
the file itself (`O_CREAT | O_EXCL`), retried with the next number if the name is taken.
The content is written to a temporary file and moved over the reserved name, so a reader
never sees a half-written record.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

try:  # POSIX only; elsewhere the thread lock and O_EXCL still hold.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".numbering.lock"
_NUMBERED = re.compile(r"^(\d+)-")
_MAX_ATTEMPTS = 10_000

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def _thread_lock(folder: Path) -> threading.Lock:
    key = str(folder.resolve())
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's numbering lock (threads of this process, then other processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    with _thread_lock(folder):
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock


def used_numbers(folder: Path) -> set[int]:
    """Numbers already taken by `NNNN-...` files in `folder`."""
    if not folder.is_dir():
        return set()
    numbers = set()
    for entry in os.scandir(folder):
        match = _NUMBERED.match(entry.name)
        if match:
            numbers.add(int(match.group(1)))
    return numbers


def next_number(folder: Path) -> int:
    """Highest number in the folder + 1 (gaps are not reused)."""
    return max(used_numbers(folder), default=0) + 1


def format_number(number: int) -> str:
    return f"{number:04d}"


def _write_over(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def allocate_numbered(
    folder: Path,
    make_name: Callable[[int], str],
    render: Callable[[int], str] | None = None,
) -> Path:
    """Create `folder/make_name(n)` for the next free n and fill it with `render(n)`.

    Returns the new path. The number is unique in the folder even when many threads and
    processes allocate at once; nothing is overwritten.
    """
    folder = Path(folder)
    with folder_lock(folder):
        taken = used_numbers(folder)
        number = max(taken, default=0) + 1
        for _ in range(_MAX_ATTEMPTS):
            if number in taken:
                number += 1
                continue
            path = folder / make_name(number)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                taken.add(number)
                number += 1
                continue
            os.close(fd)
            if render is not None:
                try:
                    _write_over(path, render(number))
                except BaseException:
                    with contextlib.suppress(OSError):
                        path.unlink()
                    raise
            return path
    raise RuntimeError(f"could not allocate a numbered file in {folder}")
