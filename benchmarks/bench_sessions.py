"""Sessions: how much of each follow-up request is a cache read, and how fast a resume is.

Cacheable prefix: a 10-prompt scripted session runs through the real SDK on the replay
transport; from the second request on, each request's bytes that equal the previous request
up to its last `cache_control` breakpoint are what the API can read from the prompt cache.
The share is that prefix over the request's size (median over the session; target >= 90%).
Resume: a 200-turn session is written by the trajectory itself, then `Session.load` reads it
back (median of repeats; target under 200 ms).
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from .common import BenchResult, median

PROMPTS = 10
RESUME_TURNS = 200
HEALTH_TEST = "tests/test_health.py::test_health_reports_database_reachable"


def _contract(n: int) -> dict[str, Any]:
    return {
        "surface_and_success": f"Prompt {n} of the session reviewed the health route.",
        "artifact_summary": f"A reading of the app for prompt {n}; nothing changed.",
        "acceptance_checks": [{"description": "health still answers", "test": HEALTH_TEST}],
        "phr": {"stage": "explainer", "feature": "bench", "title": f"Session benchmark prompt {n}"},
    }


def _session_cassette(folder: Path) -> tuple[Path, list[str]]:
    view = {"name": "str_replace_based_edit_tool", "input": {"command": "view", "path": ""}}
    files = ["sandbox_app/main.py", "sandbox_app/api/router.py", "sandbox_app/core/config.py"]
    prompts, items = [], []
    for n in range(1, PROMPTS + 1):
        prompt = f"Prompt {n}: explain how {files[n % len(files)]} fits into the app."
        call = {**view, "input": {**view["input"], "path": files[n % len(files)]}}
        turns = [
            {"text": f"Reading {files[n % len(files)]}.", "tool_calls": [call]},
            {"tool_calls": [{"name": "submit_result", "input": _contract(n)}]},
        ]
        prompts.append(prompt)
        items.append({"prompt": prompt, "turns": turns})
    data = {"source": "scripted", "model": "claude-sonnet-5-5", "prompts": items}
    path = folder / "bench-session.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path, prompts


def _blocks(request: dict[str, Any]) -> list[tuple[str, bool]]:
    """The request in the API's cache order (tools, system, messages), block by block:
    each block's JSON without its breakpoint, and whether it carries one."""
    out: list[tuple[str, bool]] = []

    def add(block: dict[str, Any], prefix: str = "") -> None:
        marked = "cache_control" in block
        bare = {k: v for k, v in block.items() if k != "cache_control"}
        out.append((prefix + json.dumps(bare, sort_keys=True), marked))

    for tool in request.get("tools") or []:
        add(tool)
    for block in request.get("system") or []:
        add(block)
    for message in request.get("messages") or []:
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for block in blocks:
            add(block, f"{message['role']}:")
    return out


def cached_share(previous: dict[str, Any], current: dict[str, Any]) -> float:
    """The share of `current`'s bytes equal to `previous` up to its last breakpoint."""
    before, now = _blocks(previous), _blocks(current)
    marks = [i for i, (_, marked) in enumerate(before) if marked]
    if not marks:
        return 0.0
    prefix = before[: marks[-1] + 1]
    same = 0
    for (old, _), (new, _) in zip(prefix, now, strict=False):
        if old != new:
            break
        same += len(new)
    return same / sum(len(text) for text, _ in now)


def cacheable_prefix() -> tuple[float, list[float]]:
    from agent_kernel.workbench import Workbench

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cassette, prompts = _session_cassette(root)
        wb = Workbench(
            workspace=root / "ws",
            history=root / "history",
            mode="replay",
            cassette=cassette,
            display=False,
        )
        for prompt in prompts:
            result = wb.run(prompt)
            if result.status != "ok":
                raise RuntimeError(f"the session benchmark's run failed: {result.reason}")
        requests = wb.handle.replay.requests
    shares = [cached_share(a, b) for a, b in itertools.pairwise(requests)]
    return median(shares), shares


def _write_long_session(root: Path) -> str:
    from agent_kernel.agent.session import Session

    session = Session.start(root, {"model": "claude-sonnet-5-5", "mode": "replay"})
    trajectory = session.trajectory
    output = "\n".join(f"{i:6}\tline {i} of a file the agent read" for i in range(60))
    trajectory.messages.append({"role": "user", "content": "A long session."})
    trajectory.step("prompt", prompt="A long session.")
    for turn in range(1, RESUME_TURNS + 1):
        tool_id = f"toolu_{turn:04d}"
        call = {"command": "view", "path": "sandbox_app/main.py"}
        trajectory.messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": f"Turn {turn}: reading the file again."},
                    {"type": "tool_use", "id": tool_id, "name": "editor", "input": call},
                ],
            }
        )
        trajectory.step("turn", turn=turn, stop_reason="tool_use", usage={}, cost_usd=0.001)
        trajectory.messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": output}],
            }
        )
        trajectory.step("tool_results", count=1)
    trajectory.step("end", status="ok", reason="benchmark")
    session.record_run(
        {"prompt": "A long session.", "status": "ok", "turns": RESUME_TURNS, "usage": {}}
    )
    trajectory.save()
    trajectory.close()
    return session.id


def resume_seconds(repeats: int) -> tuple[float, int]:
    from agent_kernel.agent.session import Session

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        session_id = _write_long_session(root)
        size = next((root / ".workbench" / "trajectories").iterdir()).stat().st_size
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            loaded = Session.load(session_id, root)
            times.append(time.perf_counter() - started)
            assert loaded.turns == RESUME_TURNS
    return median(times), size


def run(repeats: int = 7) -> BenchResult:
    share, shares = cacheable_prefix()
    resume, size = resume_seconds(repeats)
    ok = share >= 0.9 and resume < 0.2
    return BenchResult(
        key="sessions",
        title="Sessions: cacheable prefix and resume",
        target="cacheable prefix >= 90% (median); resume of 200 turns < 200 ms",
        headline=f"cacheable prefix {share:.1%} (median of {len(shares)} requests); "
        f"resume {resume * 1000:.1f} ms for {RESUME_TURNS} turns",
        verdict="met" if ok else "missed",
        headers=["measure", "value"],
        rows=[
            ["cacheable prefix, median", f"{share:.1%}"],
            ["cacheable prefix, lowest", f"{min(shares):.1%}"],
            ["requests in the 10-prompt session", str(len(shares) + 1)],
            ["resume, median", f"{resume * 1000:.1f} ms"],
            ["trajectory size", f"{size / 1024:.0f} KiB"],
        ],
        data={"share": share, "shares": shares, "resume_s": resume, "bytes": size},
    )
