"""Virtualenvs of other stacks for the tests, built once from PyPI and kept for later runs.

A project's own interpreter is only tested for real on an interpreter with other packages than
the workbench's. Building one costs a pip install (network, seconds); the result is kept under
the temp folder keyed by the Python version and the requirements, so later runs (and runs
without a network) reuse it. A lock keeps parallel test workers from building it twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# An older FastAPI on Pydantic v1, SQLModel on SQLAlchemy 1.4, Faker: a stack unlike the
# workbench's (FastAPI 0.16x, Pydantic 2, SQLAlchemy 2).
OLD_STACK = (
    "fastapi==0.95.2",
    "pydantic==1.10.13",
    "sqlmodel==0.0.8",
    "sqlalchemy==1.4.41",
    "faker==24.4.0",
    "pytest==7.4.4",
    "httpx==0.24.1",
)
DONE = ".complete"


def cached_venv(requirements: tuple[str, ...]) -> Path:
    """The python of a virtualenv with `requirements`, built now if no run built it before."""
    key = hashlib.blake2b(
        "\0".join([sys.version, *requirements]).encode(), digest_size=8
    ).hexdigest()
    base = Path(tempfile.gettempdir()) / "workbench-test-venvs"
    base.mkdir(exist_ok=True)
    folder = base / key
    python = folder / "bin" / "python"
    with open(base / f"{key}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / DONE).is_file():
            return python
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *requirements],
            check=True,
            timeout=600,
        )
        (folder / DONE).write_text("\n".join(requirements))
    return python
