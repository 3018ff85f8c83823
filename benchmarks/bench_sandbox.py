"""The OS sandbox's cost: a sandboxed `run_tests` of the baseline against the same run without
the sandbox, and the start of a sandbox on its own.

Both runs go through `run_pytest` on the same workspace, forked from the same warm pytest
server, interleaved; the only difference is the sandbox (`sandbox_mode` on or off). The start
is measured two ways: bubblewrap starting `/bin/true` in the full policy (what every command,
plain test run and MCP server pays), and a fork entering the namespaces itself (what a warm
test run pays), both against the same process start without a sandbox.
"""

from __future__ import annotations

import os
import subprocess
import time

from .common import BenchResult, interleaved, median, seconds, verdict

TARGET_RATIO = 1.15
TARGET_START = 0.030


def _run_tests(workspace, mode: str):
    from agent_kernel.tools.run_tests import run_pytest

    def run() -> float:
        workspace.sandbox_mode = mode
        started = time.perf_counter()
        result = run_pytest(workspace, "tests/")
        took = time.perf_counter() - started
        assert result.passed, result.output[-2000:]
        return took

    return run


def _bwrap_start(workspace):
    from agent_kernel.project.containment import contained

    def run() -> float:
        workspace.sandbox_mode = "on"
        with contained(workspace, {}) as launch:
            argv = launch.command(["/bin/true"], cwd=str(workspace.root))
            started = time.perf_counter()
            subprocess.run(argv, env=launch.env, check=True)
            return time.perf_counter() - started

    return run


def _plain_start() -> float:
    started = time.perf_counter()
    subprocess.run(["/bin/true"], check=True)
    return time.perf_counter() - started


def _fork_enter(workspace):
    from agent_kernel.project.containment import policy_for
    from agent_kernel.sandbox.namespaces import enter

    steps = policy_for(workspace, {}).layout()

    def run() -> float:
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                enter(steps, str(workspace.root))
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        return time.perf_counter() - started

    return run


def _fork_plain() -> float:
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return time.perf_counter() - started


def run(repeats: int = 15) -> BenchResult:
    from agent_kernel.project.workspace import Workspace

    workspace = Workspace.create()
    _run_tests(workspace, "on")()  # the warm server up and the first imports paid
    tests = interleaved(
        {"sandboxed": _run_tests(workspace, "on"), "plain": _run_tests(workspace, "off")},
        repeats,
    )
    starts = interleaved(
        {
            "bwrap": _bwrap_start(workspace),
            "process": _plain_start,
            "fork+enter": _fork_enter(workspace),
            "fork": _fork_plain,
        },
        repeats * 2,
    )
    ratios = [s / p for s, p in zip(tests["sandboxed"], tests["plain"], strict=True)]
    ratio = median(ratios)
    bwrap_cost = median(starts["bwrap"]) - median(starts["process"])
    fork_cost = median(starts["fork+enter"]) - median(starts["fork"])
    met = ratio <= TARGET_RATIO and max(bwrap_cost, fork_cost) <= TARGET_START
    return BenchResult(
        key="sandbox",
        title="OS sandbox",
        target=f"sandboxed run_tests <= {TARGET_RATIO}x unsandboxed; a sandbox starts < 30 ms",
        headline=(
            f"run_tests {ratio:.2f}x; start {bwrap_cost * 1000:.1f} ms (bubblewrap), "
            f"{fork_cost * 1000:.1f} ms (a warm run entering it)"
        ),
        verdict=verdict(met),
        headers=["what", "median", "rounds"],
        rows=[
            ["run_tests, sandboxed", seconds(median(tests["sandboxed"])), str(repeats)],
            ["run_tests, no sandbox", seconds(median(tests["plain"])), str(repeats)],
            ["ratio (median of the rounds' ratios)", f"{ratio:.2f}x", str(repeats)],
            ["bubblewrap + /bin/true", seconds(median(starts["bwrap"])), str(repeats * 2)],
            ["plain /bin/true", seconds(median(starts["process"])), str(repeats * 2)],
            [
                "fork + enter the namespaces",
                seconds(median(starts["fork+enter"])),
                str(repeats * 2),
            ],
            ["plain fork", seconds(median(starts["fork"])), str(repeats * 2)],
        ],
        notes=[
            "The baseline's own suite (tests/), forked from one warm pytest server for both.",
            "A start is the difference to the same start without a sandbox.",
        ],
        data={"ratio": ratio, "bwrap_start_s": bwrap_cost, "fork_start_s": fork_cost},
    )
