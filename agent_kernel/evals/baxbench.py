"""BaxBench scenarios as eval tasks: `workbench eval --baxbench DIR`.

The user's checkout is imported at run time, in a process of its own
(`baxbench_child`); nothing of BaxBench lives in this repository. Each selected scenario
becomes a `BaxTask`: the prompt BaxBench gives for Python/FastAPI (its agent prompt, or its
one-shot generation prompt with `--prompt oneshot`), a fresh empty workspace, and checks
that start the produced app as BaxBench does (`python3 app.py` in `/app` of a fresh
container, `container.Container`) and run the scenario's own functional and security tests
against it, a fresh container for each test.

Scores follow BaxBench: pass@1 when every functional test passes, secure-pass@1 when in
addition no security test found a CWE. A test that could not complete is listed as not run,
with its reason, and never counted as passed; a scenario with no security test run is "not
measured" for security and left out of secure-pass.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import CheckCase, CheckRun

CAPABILITY = "baxbench"
CODE_DIR = "code"
OUTPUT_TAIL = 4_000
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:==\s*([^\s;]+))?")
# The Python packages BaxBench's own modules import (beyond the standard library).
CHECKOUT_DEPENDENCIES = ("requests", "yaml")


class BaxBenchError(ValueError):
    """A checkout, scenario or session that cannot be used; the message says what is missing."""


def source_dir(checkout: Path | str) -> Path:
    """The checkout's `src/` folder (the checkout itself may be given, or its src/)."""
    root = Path(checkout).expanduser()
    if not root.exists():
        raise BaxBenchError(f"BaxBench checkout not found: {root}")
    for candidate in (root / "src", root):
        if (candidate / "scenarios" / "base.py").is_file():
            return candidate.resolve()
    raise BaxBenchError(
        f"{root} does not look like a BaxBench checkout: no src/scenarios/base.py "
        "(clone https://github.com/logic-star-ai/baxbench and pass its folder)"
    )


def missing_dependencies() -> list[str]:
    """BaxBench's own Python dependencies that are not importable here (docker is stood in)."""
    import importlib.util

    return [name for name in CHECKOUT_DEPENDENCIES if importlib.util.find_spec(name) is None]


def _child(args: list[str], timeout: float) -> dict[str, Any]:
    """Run the BaxBench process; its environment carries no key or token of the caller's."""
    from ..project.safe_env import safe_environment

    argv = [sys.executable, "-m", "agent_kernel.evals.baxbench_child", *args]
    env = safe_environment(args[1])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        raise BaxBenchError(f"BaxBench's tests did not finish within {timeout:g}s") from exc
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = (done.stderr or done.stdout)[-1500:]
        raise BaxBenchError(f"the BaxBench process failed (exit {done.returncode}): {tail}")
    payload = json.loads(lines[-1])
    if "error" in payload:
        raise BaxBenchError(payload["error"])
    return payload


@dataclass(frozen=True)
class BaxTask:
    """One BaxBench scenario, ready for the runner (same fields as a suite `Task`)."""

    id: str
    title: str
    prompt: str
    src: Path
    sessions_dir: Path | None = None
    functional: tuple[str, ...] = ()
    security: tuple[str, ...] = ()
    potential_cwes: tuple[str, ...] = ()
    prompt_style: str = "agent"
    framework: str = "Python-FastAPI"
    python: str | None = None  # the interpreter the apps run on (None: the workbench's)
    capability: str = CAPABILITY
    tags: tuple[str, ...] = field(default_factory=lambda: ("baxbench",))

    @property
    def path(self) -> Path:
        return self.src / "scenarios"

    def session_path(self, name: str = "reference") -> Path:
        """`--sessions DIR`: `DIR/<scenario id>.yaml` (the session name is not used)."""
        folder = self.sessions_dir or Path(tempfile.gettempdir()) / "no-baxbench-sessions"
        return folder / f"{self.id}.yaml"

    def workspace_baseline(self, parent: Path) -> Path:
        """An empty starting point in `parent` (the task's own temp folder, removed with it):
        BaxBench asks for a new app, not an edit of ours."""
        folder = Path(parent) / "baxbench-baseline" / "sandbox_app"
        folder.mkdir(parents=True)
        return folder

    def run_checks(self, workspace_root: Path, *, timeout: float = 120.0) -> CheckRun:
        """Serve the app in `workspace_root/code` and run the scenario's tests; never raises."""
        started = time.monotonic()
        code = Path(workspace_root) / CODE_DIR
        if not (code / "app.py").is_file():
            fallback = Path(workspace_root)
            if (fallback / "app.py").is_file():
                code = fallback
            else:
                return CheckRun(
                    error=f"the agent produced no {CODE_DIR}/app.py for BaxBench to serve",
                    duration=time.monotonic() - started,
                )
        per_test = max(5.0, timeout / max(1, len(self.functional) + len(self.security)))
        args = ["test", str(self.src), self.id, str(code), "--timeout", f"{per_test:g}"]
        if self.python:
            args += ["--python", self.python]
        try:
            payload = _child(args, timeout=timeout + 60)
        except BaxBenchError as exc:
            return CheckRun(error=str(exc), duration=time.monotonic() - started)
        cases = [CheckCase.from_dict(case) for case in payload["cases"]]
        output = "\n".join(
            f"{case.kind} {case.name}: "
            + ("passed" if case.passed else "NOT RUN" if not case.ran else "FAILED")
            + (f" - {case.message}" if case.message else "")
            for case in cases
        )
        return CheckRun(
            cases=cases, duration=time.monotonic() - started, output=output[-OUTPUT_TAIL:]
        )

    def to_spec(self, session: str) -> dict[str, Any]:
        """As plain data for a worker: the checkout path (it must be there too), the session."""
        path = self.session_path(session)
        return {
            "kind": "baxbench",
            "id": self.id,
            "title": self.title,
            "prompt": self.prompt,
            "src": str(self.src),
            "functional": list(self.functional),
            "security": list(self.security),
            "potential_cwes": list(self.potential_cwes),
            "prompt_style": self.prompt_style,
            "framework": self.framework,
            "python": self.python,
            "session": path.read_text("utf-8") if path.is_file() else None,
        }

    @classmethod
    def from_spec(cls, spec: dict[str, Any], sessions_dir: Path) -> BaxTask:
        if spec.get("session") is not None:
            sessions_dir.mkdir(parents=True, exist_ok=True)
            (sessions_dir / f"{spec['id']}.yaml").write_text(spec["session"], encoding="utf-8")
        return cls(
            id=spec["id"],
            title=spec["title"],
            prompt=spec["prompt"],
            src=Path(spec["src"]),
            sessions_dir=sessions_dir,
            functional=tuple(spec["functional"]),
            security=tuple(spec["security"]),
            potential_cwes=tuple(spec["potential_cwes"]),
            prompt_style=spec.get("prompt_style", "agent"),
            framework=spec.get("framework", "Python-FastAPI"),
            python=spec.get("python"),
        )


def match_ids(asked: list[str], known: list[str]) -> list[str]:
    """The asked scenario ids as the checkout spells them (case does not matter); a
    BaxBenchError for any that is not there, with the closest names suggested."""
    from .suite import SuiteError
    from .suite import match_ids as match

    try:
        return match(asked, known, "BaxBench scenario(s)", "the checkout")
    except SuiteError as exc:
        raise BaxBenchError(str(exc)) from exc


def checkout_commit(checkout: Path | str) -> str | None:
    """The commit the checkout is at; None when it is not a git checkout of its own (a
    folder inside some other repository is not BaxBench's commit)."""
    root = source_dir(checkout).parent.resolve()
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2 or Path(lines[0]).resolve() != root:
        return None
    return lines[1] if len(lines[1]) == 40 else None


def load_baxbench(
    checkout: Path | str,
    ids: list[str] | None = None,
    *,
    sessions_dir: Path | None = None,
    safety: str = "none",
    timeout: float = 120.0,
    skipped: list[str] | None = None,
    prompt_style: str = "agent",
    python: str | None = None,
) -> list[BaxTask]:
    """The selected scenarios of a checkout (all when `ids` is empty), described by BaxBench.

    A selected scenario that cannot be imported here raises BaxBenchError naming what it
    needs; with no selection such scenarios are left out and the reasons appended to
    `skipped`.
    """
    src = source_dir(checkout)
    missing = missing_dependencies()
    if missing:
        raise BaxBenchError(
            "BaxBench's tests need the Python package(s) "
            f"{', '.join(missing)}, not installed here (pip install {' '.join(missing)})"
        )
    if sessions_dir is not None and not Path(sessions_dir).is_dir():
        raise BaxBenchError(f"--sessions folder not found: {sessions_dir}")
    from .baxbench_child import scenario_files

    known = scenario_files(src)
    chosen = match_ids(ids, list(known)) if ids else list(known)
    describe = ["describe", str(src), *chosen, "--safety", safety, "--prompt", prompt_style]
    payload = _child(describe, timeout=timeout)
    failed = [item for item in payload["scenarios"] if "error" in item]
    if failed and ids:
        raise BaxBenchError("; ".join(item["error"] for item in failed))
    if skipped is not None:
        skipped.extend(f"{item['id']}: {item['error']}" for item in failed)
    if not any("error" not in item for item in payload["scenarios"]):
        raise BaxBenchError(
            "no scenario of the checkout can be loaded here: "
            + "; ".join(item["error"] for item in failed)
        )
    return [
        BaxTask(
            id=item["id"],
            title=item["title"],
            prompt=item["prompt"],
            src=src,
            sessions_dir=Path(sessions_dir).resolve() if sessions_dir else None,
            functional=tuple(item["functional"]),
            security=tuple(item["security"]),
            potential_cwes=tuple(item["potential_cwes"]),
            prompt_style=prompt_style,
            framework=item.get("framework", "Python-FastAPI"),
            python=python,
        )
        for item in payload["scenarios"]
        if "error" not in item
    ]


# -- BaxBench's allowed packages for FastAPI ----------------------------------------------


def allowed_packages(checkout: Path | str) -> list[tuple[str, str | None]]:
    """(name, pinned version) of every package BaxBench allows a FastAPI app to use."""
    src = source_dir(checkout)
    text = (src / "env" / "python.py").read_text(encoding="utf-8")
    match = re.search(r'_FAST_API_REQS_TXT\s*=\s*"""(.*?)"""', text, re.S)
    if not match:
        raise BaxBenchError(f"{src}/env/python.py has no _FAST_API_REQS_TXT requirements list")
    packages = []
    for line in match.group(1).splitlines():
        found = REQUIREMENT.match(line)
        if found and found.group(1):
            packages.append((found.group(1), found.group(2)))
    return packages


def installed_versions(names: list[str], python: str | None = None) -> dict[str, str | None]:
    """The installed version of each package, here or in the environment of `python`."""
    if python is None:
        found: dict[str, str | None] = {}
        for name in names:
            try:
                found[name] = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                found[name] = None
        return found
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = None\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run([python, "-c", code, *names], capture_output=True, text=True)
    if done.returncode != 0:
        raise BaxBenchError(f"{python} could not list its packages: {done.stderr[-400:]}")
    return dict(json.loads(done.stdout))


def package_status(
    packages: list[tuple[str, str | None]], python: str | None = None
) -> list[dict[str, Any]]:
    """Each package: the version BaxBench pins, the one the apps run on (None: missing)."""
    versions = installed_versions([name for name, _ in packages], python)
    return [
        {"package": name, "baxbench": pinned, "installed": versions.get(name)}
        for name, pinned in packages
    ]


def differences(rows: list[dict[str, Any]]) -> list[str]:
    """One sentence per package whose version differs from BaxBench's pin, or is missing."""
    lines = []
    for row in rows:
        pinned, here = row["baxbench"], row["installed"]
        if here is None:
            lines.append(f"{row['package']} is missing (BaxBench pins {pinned or 'any'})")
        elif pinned and _normal(here) != _normal(pinned):
            lines.append(f"{row['package']} is {here}, BaxBench pins {pinned}")
    return lines


def _normal(version: str) -> str:
    return version.strip().lower()


def install_missing(rows: list[dict[str, Any]]) -> subprocess.CompletedProcess[str] | None:
    """pip-install the missing ones (unpinned, so the workbench's own stack is left as is)."""
    missing = [row["package"] for row in rows if row["installed"] is None]
    if not missing:
        return None
    argv = [sys.executable, "-m", "pip", "install", "--quiet", *missing]
    return subprocess.run(argv, capture_output=True, text=True)


# -- an environment with BaxBench's pins ---------------------------------------------------


def requirements_text(packages: list[tuple[str, str | None]], checkout: Path | str) -> str:
    """BaxBench's requirements file for FastAPI, as its Dockerfile installs it."""
    src = source_dir(checkout)
    text = (src / "env" / "python.py").read_text(encoding="utf-8")
    match = re.search(r'_FAST_API_REQS_TXT\s*=\s*"""(.*?)"""', text, re.S)
    assert match is not None  # allowed_packages() has read it already
    return "\n".join(line.strip() for line in match.group(1).splitlines() if line.strip()) + "\n"


def pinned_env_dir(requirements: str, base_python: str | None = None) -> Path:
    """Where the environment for these pins lives: one per pin set and interpreter."""
    base = base_python or getattr(sys, "_base_executable", sys.executable)
    key = hashlib.sha256(f"{requirements}\0{Path(base).resolve()}".encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "agent-workbench" / f"baxbench-env-{key}"


def env_python(folder: Path) -> Path:
    return folder / "bin" / "python"


def pinned_environment(
    checkout: Path | str, *, base_python: str | None = None, log: Any = None
) -> Path:
    """The interpreter of an environment holding BaxBench's pinned packages.

    Built once (uv when it is on PATH, else venv and pip, from the package index) outside
    the workbench's own environment, and reused while the pins are the same; a build that
    fails leaves nothing half-made behind.
    """
    import shutil

    requirements = requirements_text(allowed_packages(checkout), checkout)
    folder = pinned_env_dir(requirements, base_python)
    python = env_python(folder)
    if (folder / "baxbench-requirements.txt").is_file() and python.exists():
        return python
    base = str(Path(base_python or getattr(sys, "_base_executable", sys.executable)))
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    reqs = partial.parent / f"{folder.name}.requirements.txt"
    reqs.write_text(requirements, encoding="utf-8")
    uv = shutil.which("uv")
    if uv:
        steps = [
            [uv, "venv", "--python", base, str(partial)],
            [uv, "pip", "install", "--python", str(env_python(partial)), "-r", str(reqs)],
        ]
    else:
        steps = [
            [base, "-m", "venv", str(partial)],
            [str(env_python(partial)), "-m", "pip", "install", "--quiet", "-r", str(reqs)],
        ]
    for argv in steps:
        if log is not None:
            log(" ".join(argv))
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise BaxBenchError(
                f"building the pinned environment failed ({' '.join(argv[:3])}...): "
                f"{(done.stderr or done.stdout).strip()[-800:]}"
            )
    (partial / "baxbench-requirements.txt").write_text(requirements, encoding="utf-8")
    reqs.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return env_python(folder)
