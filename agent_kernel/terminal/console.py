"""Plain-text display of a run, for the CLI, papermill outputs and terminals."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from ..agent.events import (
    Event,
    Notice,
    RunFinished,
    RunStarted,
    TextDelta,
    ToolCalled,
    ToolFinished,
    TurnStarted,
    UsageReported,
)
from ..agent.usage import spend_text
from ..history.redaction import redact
from .sections import red_green_text, stage_text


def summarize_input(name: str, tool_input: dict) -> str:
    if name == "str_replace_based_edit_tool":
        return f"{tool_input.get('command', '?')} {tool_input.get('path', '')}".strip()
    if name == "run_tests":
        return tool_input.get("target") or "(all tests)"
    if name == "inspect_api":
        return str(tool_input.get("symbol", ""))
    if name == "ask_user":
        return str(tool_input.get("question", ""))[:80]
    if name == "submit_result":
        return "Execution Contract"
    return json.dumps(tool_input)[:80]


HOLD = 160  # characters of streamed text held back at most, waiting for a line's end


class ConsoleObserver:
    """Streams text as it arrives and puts each tool call on its own line.

    Everything printed is redacted first. Streamed text arrives in pieces that can split a
    secret in two, so it is printed a line at a time (or at a word break once a line grows
    long): a key the model repeats never reaches the terminal or a CI log.
    """

    def __init__(
        self, stream: TextIO | None = None, *, verbose: bool = False, notices: bool = True
    ) -> None:
        self.stream = stream or sys.stdout
        self.verbose = verbose
        self.notices = notices  # False where the caller has said how the run connects
        self.at_line_start = True
        self.pending = ""

    def write(self, text: str) -> None:
        text = redact(text)
        self.stream.write(text)
        self.stream.flush()
        if text:
            self.at_line_start = text.endswith("\n")

    def line(self, text: str) -> None:
        self.flush_text()
        if not self.at_line_start:
            self.write("\n")
        self.write(text + "\n")

    def stream_text(self, text: str) -> None:
        self.pending += text
        cut = self.pending.rfind("\n") + 1
        if not cut and len(self.pending) > HOLD:
            cut = max(self.pending.rfind(" "), self.pending.rfind("\t")) + 1
        if cut:
            ready, self.pending = self.pending[:cut], self.pending[cut:]
            self.write(ready)

    def flush_text(self) -> None:
        if self.pending:
            ready, self.pending = self.pending, ""
            self.write(ready)

    def __call__(self, event: Event) -> None:
        if not isinstance(event, TextDelta):
            self.flush_text()
        if isinstance(event, RunStarted):
            self.line(f"== {event.label} · model {event.model}")
            if event.notice and self.notices:
                self.line(f"   {event.notice}")
        elif isinstance(event, TurnStarted):
            if self.verbose:
                self.line(f"-- turn {event.turn}")
        elif isinstance(event, TextDelta):
            self.stream_text(event.text)
        elif isinstance(event, ToolCalled):
            self.line(f"→ {event.name}: {summarize_input(event.name, event.input)}")
        elif isinstance(event, ToolFinished):
            first = (event.output.strip().splitlines() or [""])[0][:100]
            mark = "✗" if event.is_error else "✓"
            self.line(f"  {mark} {first}")
        elif isinstance(event, UsageReported):
            if self.verbose:
                self.line(
                    f"   tokens in {event.input_tokens} out {event.output_tokens} "
                    f"cache r/w {event.cache_read_tokens}/{event.cache_write_tokens} "
                    f"· ${event.total_cost_usd:.4f} so far"
                )
        elif isinstance(event, Notice):
            self.line(f"! {event.message}")
        elif isinstance(event, RunFinished):
            r = event.result
            tokens_in = (
                r.usage.input_tokens + r.usage.cache_read_tokens + r.usage.cache_write_tokens
            )
            spend = spend_text(
                tokens_in, r.usage.output_tokens, r.cost_usd, model=r.model, source=r.source
            )
            self.line(f"== {r.status}: {r.reason} · {r.turns} turns · {spend}")
            for text in (stage_text(r.stage), red_green_text(r.red_green)):
                if text:
                    self.line(text)
