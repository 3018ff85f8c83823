"""BaxBench scenarios as eval tasks: `workbench eval --baxbench DIR`.

The user's checkout is imported at run time, in a process of its own
(`baxbench_child`); nothing of BaxBench lives in this repository. Each selected scenario
becomes a `BaxTask`: the prompt BaxBench gives for Python/FastAPI, a fresh empty workspace
for the agent, and checks that serve the produced app with uvicorn and run the scenario's
own functional and security tests against it, a fresh app and database for each test.

Scores follow BaxBench: pass@1 when every functional test passes, secure-pass@1 when in
addition no security test found a CWE. A test that could not run here (it needs the
container) is listed as not run, by name, and never counted as passed.
"""

from __future__ import annotations

import importlib.metadata
import json
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
        )


def load_baxbench(
    checkout: Path | str,
    ids: list[str] | None = None,
    *,
    sessions_dir: Path | None = None,
    safety: str = "none",
    timeout: float = 120.0,
    skipped: list[str] | None = None,
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
    chosen = list(dict.fromkeys(ids)) if ids else list(known)
    unknown = [sid for sid in chosen if sid not in known]
    if unknown:
        raise BaxBenchError(
            f"unknown BaxBench scenario(s): {', '.join(unknown)}; "
            f"the checkout has: {', '.join(known) or 'none'}"
        )
    payload = _child(["describe", str(src), *chosen, "--safety", safety], timeout=timeout)
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


def package_status(packages: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    """Each package: installed here (and which version) or missing."""
    rows = []
    for name, pinned in packages:
        try:
            version: str | None = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = None
        rows.append({"package": name, "baxbench": pinned, "installed": version})
    return rows


def install_missing(rows: list[dict[str, Any]]) -> subprocess.CompletedProcess[str] | None:
    """pip-install the missing ones (unpinned, so the workbench's own stack is left as is)."""
    missing = [row["package"] for row in rows if row["installed"] is None]
    if not missing:
        return None
    argv = [sys.executable, "-m", "pip", "install", "--quiet", *missing]
    return subprocess.run(argv, capture_output=True, text=True)
