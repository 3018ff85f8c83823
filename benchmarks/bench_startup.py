"""Startup: `import agent_kernel` and `workbench --help` against a bare `python -c pass`.

Each is a fresh subprocess, timed from outside; the heavy stack (SDK, FastAPI, SQLAlchemy)
must load lazily, so both should cost well under 0.3 s more than the interpreter alone.
"""

from __future__ import annotations

import subprocess
import sys

from .common import VENV_BIN, BenchResult, interleaved, median, offline_env, seconds, time_command

TARGET_EXTRA_S = 0.3


def commands() -> dict[str, list[str]]:
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import agent_kernel": [sys.executable, "-c", "import agent_kernel"],
        "workbench --help": [str(VENV_BIN / "workbench"), "--help"],
    }


HELP_CODE = (
    "import sys; sys.argv = ['workbench', '--help']\n"
    "from agent_kernel.terminal.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass"
)
STARTUP_MODULES = ("site", "encodings", "_frozen_importlib_external", "zipimport", "io")


def slowest_imports(code: str = HELP_CODE, top: int = 6) -> list[tuple[str, float]]:
    """The imports (two levels deep) with the largest cumulative time, from `-X importtime`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=offline_env(),
        check=False,
    )
    found: list[tuple[str, float]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative_us, name = line.split("|", 2)
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        name = name.strip()
        if depth <= 1 and name.split(".")[0] not in STARTUP_MODULES:
            found.append((name, int(cumulative_us) / 1e6))
    return sorted(found, key=lambda item: -item[1])[:top]


def run(repeats: int = 20) -> BenchResult:
    env = offline_env()
    argvs = commands()
    for argv in argvs.values():  # warm the file cache and byte-code before timing
        time_command(argv, env)
    times = interleaved(
        {name: (lambda argv=argv: time_command(argv, env)) for name, argv in argvs.items()},
        repeats,
    )
    base = median(times["python -c pass"])
    rows, extras = [], {}
    for name, values in times.items():
        extra = median(values) - base
        extras[name] = extra
        rows.append([f"`{name}`", seconds(median(values)), seconds(min(values)), f"{extra:+.3f} s"])
    worst = max(extras["import agent_kernel"], extras["workbench --help"])
    slow = slowest_imports()
    notes = [
        f"{repeats} interleaved runs of each command; median, and the fastest run.",
        "Largest top-level imports behind `workbench --help`: "
        + ", ".join(f"`{name}` {secs * 1000:.0f} ms" for name, secs in slow)
        + ".",
    ]
    return BenchResult(
        key="startup",
        title="Startup: `import agent_kernel` and `workbench --help`",
        target=f"under {TARGET_EXTRA_S} s more than `python -c pass`",
        headline=(
            f"import +{extras['import agent_kernel']:.3f} s, "
            f"--help +{extras['workbench --help']:.3f} s"
        ),
        verdict="met" if worst < TARGET_EXTRA_S else "missed",
        headers=["command", "median", "fastest", "extra over bare python"],
        rows=rows,
        notes=notes,
        data={
            "repeats": repeats,
            "times": times,
            "extra_s": extras,
            "slowest_imports": slow,
        },
    )
