"""The loop's cost per turn against the SDK's own tool runner, replaying the same responses.

Both sides talk to a real `anthropic.Anthropic` client whose `httpx2` transport is the
workbench's `ReplayTransport`, both stream, and both call the same cheap tool. A is
`agent_kernel.agent.loop.AgentLoop` (with its trajectory saved after every step, as in a real run);
B is `client.beta.messages.tool_runner(stream=True)`. The session is N tool turns and one
closing turn: the loop closes with a contract tool (its only way to finish cleanly), the SDK
runner with a plain answer; each side makes N + 1 requests.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .common import BenchResult, interleaved, median, ratio, seconds, timed

MODEL = "claude-sonnet-5-5"
PROMPT = "Echo each piece back, then finish."
SYSTEM = "You echo text back with the echo tool."
TARGET_RATIO = 1.1
ECHO_SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string", "description": "what to echo"}},
    "required": ["text"],
}


def echo_output(text: str) -> str:
    return f"echo: {text}"


def cassette_data(turns: int, payload: int, *, closing: str) -> dict[str, Any]:
    """A scripted session: `turns` echo calls with `payload` characters, then the closing turn.

    closing="tool" ends with a `done` tool call (the loop), "text" with an answer (the SDK).
    """
    body = ("lorem ipsum dolor sit amet " * (payload // 27 + 1))[:payload]
    items: list[dict[str, Any]] = [
        {
            "text": f"Step {number}.",
            "tool_calls": [{"name": "echo", "input": {"text": f"{number}: {body}"}}],
        }
        for number in range(1, turns + 1)
    ]
    if closing == "tool":
        items.append({"tool_calls": [{"name": "done", "input": {}}]})
    else:
        items.append({"text": "All pieces echoed."})
    return {"source": "scripted", "model": MODEL, "prompt": PROMPT, "turns": items}


def replay_client(data: dict[str, Any]) -> tuple[Any, Any]:
    """A real SDK client answering from the cassette, and its transport."""
    import anthropic
    import httpx2

    from agent_kernel.api.cassette import cassette_from_dict
    from agent_kernel.api.client import REPLAY_BASE_URL
    from agent_kernel.api.replay import ReplayTransport

    transport = ReplayTransport(cassette_from_dict(data))
    client = anthropic.Anthropic(
        api_key="replay-without-key",
        base_url=REPLAY_BASE_URL,
        http_client=httpx2.Client(transport=transport),
        max_retries=0,
    )
    return client, transport


class EchoTool:
    """The loop's side of the cheap tool."""

    name = "echo"

    def definition(self) -> dict[str, Any]:
        return {"name": "echo", "description": "Echo the text back.", "input_schema": ECHO_SCHEMA}

    def __call__(self, tool_input: dict[str, Any], ctx: Any) -> str:
        return echo_output(tool_input["text"])


class DoneTool:
    """Ends the loop the way submit_result does, without running any checks."""

    name = "done"

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": "Finish the run.",
            "input_schema": {"type": "object", "properties": {}},
        }

    def __call__(self, tool_input: dict[str, Any], ctx: Any) -> str:
        ctx.extra["contract"] = {"done": True}
        return "finished"


def run_loop(data: dict[str, Any], scratch: Path, *, save: bool = True) -> float:
    """A: one AgentLoop run over the session; seconds, client setup excluded.

    `save=False` skips the trajectory's per-step save, to show what the saves cost.
    """
    from agent_kernel.agent.budget import Budget
    from agent_kernel.agent.loop import AgentLoop
    from agent_kernel.agent.trajectory import Trajectory
    from agent_kernel.api.client import ClientHandle
    from agent_kernel.tools.base import ToolContext

    client, transport = replay_client(data)
    handle = ClientHandle(client, "replay", "replay", transport.cassette, transport)
    loop = AgentLoop(
        handle,
        model=MODEL,
        system=SYSTEM,
        tools=[EchoTool(), DoneTool()],
        ctx=ToolContext(workspace=None),  # type: ignore[arg-type]  # the tools never touch it
        budget=Budget(max_turns=len(transport.cassette.exchanges) + 5),
        trajectory=(Trajectory if save else _Unsaved)(scratch / "t.jsonl", {"benchmark": "loop"}),
        max_tokens=1024,
    )
    box: dict[str, Any] = {}
    elapsed = timed(lambda: box.setdefault("outcome", loop.run(PROMPT)))
    outcome = box["outcome"]
    if outcome.status != "ok" or not transport.finished:
        raise RuntimeError(f"the loop did not replay the whole session: {outcome.reason}")
    return elapsed


class _Unsaved:
    """Stands in for the trajectory without writing anything (the diagnostic variant)."""

    def __init__(self, path: Path, info: dict[str, Any]) -> None:
        self.path, self.info = path, info
        self.messages: list[dict[str, Any]] = []

    def step(self, kind: str, **data: Any) -> None:
        pass

    def record(self, kind: str, **data: Any) -> None:
        pass

    def save(self) -> Path:
        return self.path


def run_sdk_runner(data: dict[str, Any]) -> float:
    """B: the SDK's streaming tool runner over the same responses; seconds."""
    from anthropic import beta_tool

    @beta_tool
    def echo(text: str) -> str:
        """Echo the text back.

        Args:
            text: what to echo
        """
        return echo_output(text)

    client, transport = replay_client(data)

    def go() -> None:
        runner = client.beta.messages.tool_runner(
            model=MODEL,
            max_tokens=1024,
            system=SYSTEM,
            messages=[{"role": "user", "content": PROMPT}],
            tools=[echo],
            stream=True,
        )
        for stream in runner:
            for _event in stream:
                pass

    elapsed = timed(go)
    if transport.mismatch is not None or not transport.finished:
        raise RuntimeError(f"the SDK runner did not replay the whole session: {transport.mismatch}")
    return elapsed


def measure(turns: int, payload: int, repeats: int) -> dict[str, Any]:
    loop_data = cassette_data(turns, payload, closing="tool")
    sdk_data = cassette_data(turns, payload, closing="text")
    with tempfile.TemporaryDirectory(prefix="bench-loop-") as tmp:
        scratch = Path(tmp)
        run_loop(loop_data, scratch)  # warm imports and caches on both sides
        run_sdk_runner(sdk_data)
        times = interleaved(
            {
                "loop": lambda: run_loop(loop_data, scratch),
                "sdk": lambda: run_sdk_runner(sdk_data),
                "loop_unsaved": lambda: run_loop(loop_data, scratch, save=False),
            },
            repeats,
        )
    requests = turns + 1
    loop_turn = median(times["loop"]) / requests
    sdk_turn = median(times["sdk"]) / requests
    unsaved_turn = median(times["loop_unsaved"]) / requests
    return {
        "turns": turns,
        "payload": payload,
        "requests": requests,
        "times": times,
        "loop_per_turn_s": loop_turn,
        "sdk_per_turn_s": sdk_turn,
        "ratio": ratio(loop_turn, sdk_turn),
        "loop_unsaved_per_turn_s": unsaved_turn,
        "ratio_unsaved": ratio(unsaved_turn, sdk_turn),
    }


SESSIONS = (("short answers", 20, 200), ("file-sized answers", 20, 4000))


def run(repeats: int = 31, sessions: tuple[tuple[str, int, int], ...] = SESSIONS) -> BenchResult:
    measured = [(label, measure(turns, payload, repeats)) for label, turns, payload in sessions]
    rows = [
        [
            label,
            f"{m['turns']} + 1",
            f"{m['payload']} chars",
            seconds(m["loop_per_turn_s"]),
            seconds(m["sdk_per_turn_s"]),
            f"{m['ratio']:.2f}x",
            seconds(m["loop_unsaved_per_turn_s"]),
            f"{m['ratio_unsaved']:.2f}x",
        ]
        for label, m in measured
    ]
    worst = max(m["ratio"] for _, m in measured)
    return BenchResult(
        key="loop",
        title="Loop cost per turn against the SDK's tool runner",
        target=f"within {TARGET_RATIO}x of the SDK's tool runner",
        headline=", ".join(f"{label} {m['ratio']:.2f}x" for label, m in measured),
        verdict="met" if worst <= TARGET_RATIO else "missed",
        headers=[
            "session",
            "turns",
            "tool input",
            "loop / turn",
            "SDK runner / turn",
            "ratio",
            "loop without trajectory saves / turn",
            "ratio without saves",
        ],
        rows=rows,
        notes=[
            f"Median of {repeats} interleaved runs per side; per turn = run time / requests.",
            "Both stream through the real SDK client on the replay transport; the loop also "
            "saves its redacted trajectory after every step, as every run does. The last two "
            "columns are a diagnostic run of the same loop with the saves left out (not the "
            "target).",
        ],
        data={"repeats": repeats, "sessions": {label: m for label, m in measured}},
    )
