"""The keys a cassette may hold, as pydantic models: a mistyped key is an error, not a gap.

`tool_callz:` in a turn used to be read as a turn without tool calls, and the replay went on
without them (or failed later at an exchange that was not the cause). Values are checked by
the loader itself (`cassette.py`); these models know the keys, at every level.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Keys(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolCallKeys(_Keys):
    name: Any = None
    input: Any = None


class TurnKeys(_Keys):
    text: Any = None
    tool_calls: list[ToolCallKeys] = []
    error: Any = None
    timeout: Any = None
    stop_reason: Any = None
    usage: Any = None
    stream_cut: Any = None


class PromptKeys(_Keys):
    prompt: Any = None
    turns: list[TurnKeys] = []
    memory: Any = None  # the project memory this prompt was made with (CLAUDE.md, ...)


class ExchangeKeys(_Keys):
    response: Any = None
    error: Any = None
    expect: Any = None
    stream_cut: Any = None
    timeout: Any = None


class CassetteKeys(_Keys):
    source: Any = None
    model: Any = None
    date: Any = None
    title: Any = None
    prompt: Any = None
    notice: Any = None
    answers: Any = None
    turns: list[TurnKeys] = []
    prompts: list[PromptKeys] = []
    exchanges: list[ExchangeKeys] = []
    memory: Any = None
