"""What every benchmark shares: the result shape, interleaved repeats, medians, the machine.

Benchmarks report ratios measured side by side in one run: the machines they run on are
noisy, so A and B take turns (A B, B A, A B ...) and share whatever else the machine is doing.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
PACKAGES = (
    "anthropic",
    "httpx2",
    "fastapi",
    "starlette",
    "pydantic",
    "sqlalchemy",
    "papermill",
    "nbclient",
    "jupyter_client",
    "ipykernel",
    "ipywidgets",
)


@dataclass
class BenchResult:
    """One benchmark's outcome, ready for RESULTS.md and for JSON.

    `verdict` is "met", "missed", "info" (no target) or "unavailable".
    """

    key: str
    title: str
    target: str
    headline: str
    verdict: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def interleaved(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Call each run `repeats` times, rotating the order each round; each returns seconds."""
    names = list(runs)
    out: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            out[name].append(runs[name]())
    return out


def timed(func: Callable[[], Any]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def time_command(argv: list[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> float:
    """Wall time of one subprocess; a failing command raises, so a broken timing never hides."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace")[-400:]
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {tail}")
    return elapsed


def offline_env(**extra: str) -> dict[str, str]:
    """The environment of an offline run: no key or endpoint, CI replay, nothing suppressed."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ANTHROPIC_") and key != "WORKBENCH_SUPPRESS_EDITS"
    }
    env.update({"CI": "true", "WORKBENCH_MODE": "replay"})
    env.update(extra)
    return env


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def load_average() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def machine_info() -> dict[str, Any]:
    """Where the numbers come from; the load average is the one at the moment of the call."""
    return {
        "cores": os.cpu_count() or 0,
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "load_average": load_average(),
    }


def seconds(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")
