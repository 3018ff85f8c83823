"""What a run tells its observers (the widget panel, the CLI, the trajectory log)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunStarted:
    mode: str
    source: str
    model: str
    label: str
    notice: str = ""


@dataclass(frozen=True)
class TurnStarted:
    turn: int


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCalled:
    tool_use_id: str
    name: str
    input: dict[str, Any]
    quick: bool = False  # the tool answers in milliseconds (the editor): nothing to wait for


@dataclass(frozen=True)
class ToolFinished:
    tool_use_id: str
    name: str
    output: str
    is_error: bool
    duration: float


@dataclass(frozen=True)
class UsageReported:
    turn: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float
    total_cost_usd: float


@dataclass(frozen=True)
class Notice:
    """Something the user should read: a retry, a reminder, a budget limit, an API fault."""

    message: str
    level: str = "info"


@dataclass(frozen=True)
class RunFinished:
    result: Any = field(repr=False)


Event = RunStarted | TurnStarted | TextDelta | ToolCalled | ToolFinished | UsageReported
Event = Event | Notice | RunFinished
Observer = Callable[[Event], None]


def broadcast(observers: list[Observer], event: Event) -> None:
    """Tell every observer; a failing observer never stops the run."""
    for observer in observers:
        # A display glitch must not end the agent's work.
        with contextlib.suppress(Exception):
            observer(event)
