"""The project's own Python: its virtualenv, or the one it names, never the workbench's.

A project pins its FastAPI, Pydantic and pytest in its own environment; testing it on the
workbench's packages tests other versions (and a Pydantic v1 project cannot run there at
all). The interpreter is taken, in order, from `Workbench(python=...)` / `--python`, the
project's `[tool.workbench] python = "..."`, `<project>/.venv` (uv, poetry in-project,
`python -m venv`) and `<project>/venv`. A project with none of these runs on the
workbench's interpreter, as before. The workbench's own environment is never changed.

A leaf of the `project` layer: the standard library only.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

VENV_DIRS = (".venv", "venv")
PACKAGES = ("fastapi", "pydantic", "sqlalchemy", "sqlmodel", "starlette", "pytest", "httpx")
_VERSIONS = (
    "import json, sys\n"
    "from importlib import metadata\n"
    "out = {'python': sys.version.split()[0], 'prefix': sys.prefix}\n"
    "for name in sys.argv[1:]:\n"
    "    try:\n"
    "        out[name] = metadata.version(name)\n"
    "    except Exception:\n"
    "        pass\n"
    "print(json.dumps(out))\n"
)


class InterpreterError(ValueError):
    """The interpreter named for a project does not exist or cannot run."""


@dataclass(frozen=True)
class Interpreter:
    """Which Python runs the project's code, and how it was found."""

    path: str
    found_by: str

    @property
    def own(self) -> bool:
        """True when this is the workbench's interpreter (in-kernel checks are then possible)."""
        return same_environment(self.path, sys.executable)

    def versions(self) -> dict[str, str]:
        """Python's and the stack's versions in this interpreter (empty when it cannot run)."""
        return dict(_versions(self.path))

    def describe(self, root: Path | None = None) -> str:
        shown = self.path
        if root is not None:
            try:
                shown = Path(self.path).relative_to(root).as_posix()
            except ValueError:
                shown = "python"  # outside the project: no machine path in a prompt
        found = self.versions()
        if not found:
            return f"{shown} ({self.found_by}; it did not start)"
        stack = ", ".join(f"{n} {found[n]}" for n in PACKAGES if n in found)
        return f"{shown} ({self.found_by}): Python {found['python']}, {stack or 'no FastAPI'}"


def same_environment(a: str, b: str) -> bool:
    """Two interpreter paths of one environment (a venv's python is a link to its base's
    binary, so the paths are compared as written, then by the venv they sit in)."""
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    return _venv_of(a) is not None and _venv_of(a) == _venv_of(b)


def _venv_of(python: str) -> str | None:
    folder = Path(os.path.abspath(python)).parent.parent
    return str(folder) if (folder / "pyvenv.cfg").is_file() else None


@functools.lru_cache(maxsize=32)
def _versions(python: str) -> tuple[tuple[str, str], ...]:
    try:
        done = subprocess.run(
            [python, "-I", "-c", _VERSIONS, *PACKAGES],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return tuple(json.loads(done.stdout).items()) if done.returncode == 0 else ()
    except (OSError, ValueError, subprocess.SubprocessError):
        return ()


def _python_in(folder: Path) -> Path | None:
    for name in ("bin/python", "bin/python3", "Scripts/python.exe"):
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _configured(root: Path) -> str | None:
    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return None
    value = config.get("tool", {}).get("workbench", {}).get("python")
    return str(value) if value else None


def _resolve(root: Path, given: str, source: str) -> Interpreter:
    path = Path(given).expanduser()
    if not path.is_absolute():
        path = root / path
    if path.is_dir():  # a virtualenv's folder
        inner = _python_in(path)
        if inner is None:
            raise InterpreterError(f"{source} names {given}, a folder with no bin/python in it")
        path = inner
    if not path.is_file() or not os.access(path, os.X_OK):
        raise InterpreterError(
            f"{source} names {given}, which is not an executable Python ({path} not found)"
        )
    return Interpreter(os.path.abspath(path), source)


def find_interpreter(root: Path | str, given: str | os.PathLike | None = None) -> Interpreter:
    """The interpreter for the project at `root` (the workbench's own when it has none)."""
    root = Path(root).resolve()
    if given:
        return _resolve(root, str(given), "given as python=")
    configured = _configured(root)
    if configured:
        return _resolve(root, configured, "[tool.workbench] python")
    for name in VENV_DIRS:
        python = _python_in(root / name)
        if python is not None:
            return Interpreter(os.path.abspath(python), f"the project's {name}/")
    return Interpreter(sys.executable, "the workbench's own (the project has no .venv)")
