"""The agent loop: stream a turn, run the tools it asked for, repeat until the contract.

Readable in one sitting on purpose. Nothing the model or a tool does escapes as a traceback:
tool failures become `is_error` results, API faults end the run with one clear line, and the
trajectory is saved after every step: a tool's step at the latest just before the next tool or
request, so that nothing which can hang or fail runs with an unsaved step behind it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ..api.client import ClientHandle
from ..tools.base import Tool, ToolContext, ToolError, cap_output
from ..tools.permissions import HALT
from .budget import Budget
from .events import (
    Notice,
    Observer,
    TextDelta,
    ToolCalled,
    ToolFinished,
    TurnStarted,
    UsageReported,
    broadcast,
)
from .inbox import Inbox
from .result import CheckOutcome, RunResult, Status, ToolTraceEntry
from .trajectory import Trajectory
from .usage import Usage

CACHE = {"type": "ephemeral"}
REMINDER = (
    "You ended your turn without calling submit_result. Finish now: call submit_result with "
    "the Execution Contract for the work done so far."
)
CUT_TOOL_CALL = (
    "Your reply reached max_tokens before this tool call was complete, so it was not run. "
    "Send it again, in smaller pieces."
)
QUEUED_PREFIX = "Message from the user, sent while you were working: "
CONTINUE_AFTER_CUT = "Your reply reached the output limit (max_tokens). Continue, more briefly."


class RunStopped(Exception):
    """The user pressed Stop."""


class AgentLoop:
    def __init__(
        self,
        handle: ClientHandle,
        *,
        model: str,
        system: str,
        tools: list[Tool],
        ctx: ToolContext,
        budget: Budget,
        trajectory: Trajectory,
        observers: list[Observer] | None = None,
        max_tokens: int = 8192,
        stop_event: threading.Event | None = None,
        inbox: Inbox | None = None,
        context: Any = None,
    ) -> None:
        self.handle = handle
        self.model = model
        self.system = system
        self.tools = {tool.name: tool for tool in tools}
        self.tool_defs = [tool.definition() for tool in tools]
        # Sent with every request and never changed: the breakpoint on the last tool is set
        # once here, on copies, not on a deep copy per request.
        self._cached_tools = [dict(definition) for definition in self.tool_defs]
        if self._cached_tools:
            self._cached_tools[-1]["cache_control"] = CACHE
        self.ctx = ctx
        self.budget = budget
        self.trajectory = trajectory
        self.observers = observers or []
        self.max_tokens = max_tokens
        self.stop_event = stop_event or threading.Event()
        self.messages: list[dict[str, Any]] = trajectory.messages
        self.inbox = inbox
        self.context = context  # a ContextWindow (agent/context.py), or None
        # The loop fills the run's result itself; the runner adds what only it knows.
        self.outcome = RunResult(
            status="error",
            reason="not started",
            prompt="",
            mode=handle.mode,
            source=handle.source,
            model=model,
        )
        self.started = time.monotonic()

    # -- the loop -------------------------------------------------------------------------

    def run(self, prompt: str) -> RunResult:
        self.outcome.prompt = prompt
        self.messages.append({"role": "user", "content": prompt})
        self.trajectory.step("prompt", prompt=prompt)
        reminded = False
        try:
            while True:
                limit = self._over_budget()
                if limit:
                    return self._finish("budget_exceeded", limit)
                message = self._turn()
                if message is None:
                    return self.outcome
                stop = message.stop_reason
                if stop == "tool_use" and not any(b.type == "tool_use" for b in message.content):
                    stop = "end_turn"  # nothing to run: treat it as an ending without a contract
                if stop == "tool_use":
                    self._run_tools(message)
                    if self.ctx.extra.get("contract") is not None:
                        return self._finish_with_contract()
                    if self.ctx.extra.get(HALT):  # e.g. an edit nobody was there to approve
                        return self._finish("incomplete", self.ctx.extra[HALT])
                elif stop == "pause_turn":
                    self._notice("The API paused a long turn; continuing it.")
                elif stop == "max_tokens":
                    self._continue_after_cut(message)
                elif stop == "refusal":
                    return self._finish("refused", "the model declined this request (refusal)")
                elif stop == "model_context_window_exceeded":
                    return self._finish(
                        "incomplete", "the conversation exceeded the context window"
                    )
                elif stop in ("end_turn", "stop_sequence", None):
                    if reminded:
                        return self._finish(
                            "incomplete", "the agent ended twice without a valid contract"
                        )
                    queued = self._queued_blocks()
                    if queued:  # the user spoke meanwhile: that comes first, not a reminder
                        self.messages.append({"role": "user", "content": queued})
                        self.trajectory.step("queued", count=len(queued))
                        continue
                    reminded = True
                    self._notice("The agent ended without a contract; reminding it once.")
                    self.messages.append({"role": "user", "content": REMINDER})
                    self.trajectory.step("reminder")
                else:
                    return self._finish("error", f"unexpected stop reason {stop!r}")
        except (RunStopped, KeyboardInterrupt):  # Stop button, Ctrl-C, kernel interrupt
            return self._finish("incomplete", "stopped by the user")

    # -- one turn -------------------------------------------------------------------------

    def _turn(self) -> Any:
        self.outcome.turns += 1
        turn = self.outcome.turns
        broadcast(self.observers, TurnStarted(turn))
        request = self._request()
        try:
            with self.handle.client.messages.stream(**request) as stream:
                for event in stream:
                    if self.stop_event.is_set():
                        raise RunStopped
                    if event.type == "text":
                        broadcast(self.observers, TextDelta(event.text))
                message = stream.get_final_message()
        except RunStopped:
            raise
        except Exception as exc:  # every API fault ends as one clear line
            self._finish("error", self._describe_fault(exc))
            return None
        content = [block.model_dump(exclude_none=True) for block in message.content]
        if content:  # the API refuses an empty assistant message in the history
            self.messages.append({"role": "assistant", "content": content})
        usage = Usage.from_api(message.usage)
        self.outcome.usage.add(usage)
        cost = usage.cost_usd(self.model)
        self.outcome.cost_usd += cost
        texts = [block.get("text", "") for block in content if block.get("type") == "text"]
        if any(texts):
            self.outcome.final_text = "\n".join(text for text in texts if text)
        broadcast(
            self.observers,
            UsageReported(
                turn,
                usage.input_tokens,
                usage.output_tokens,
                usage.cache_read_tokens,
                usage.cache_write_tokens,
                cost,
                self.outcome.cost_usd,
            ),
        )
        self.trajectory.step(
            "turn",
            turn=turn,
            stop_reason=message.stop_reason,
            usage=usage.to_dict(),
            cost_usd=round(cost, 6),
        )
        return message

    def _request(self) -> dict[str, Any]:
        request = {
            "model": self.model,
            "max_tokens": self._max_tokens(),
            "system": [{"type": "text", "text": self.system, "cache_control": CACHE}],
            "tools": self._cached_tools,
        }
        if self.context is not None:  # may clear older tool results when the window fills
            notice = self.context.fit(self.handle.client, request, self.messages)
            if notice:
                self._notice(notice)
                self.trajectory.step("context_trimmed", detail=notice)
        request["messages"] = with_moving_breakpoint(self.messages)
        return request

    def _max_tokens(self) -> int:
        if self.budget.max_output_tokens is None:
            return self.max_tokens
        left = self.budget.max_output_tokens - self.outcome.usage.output_tokens
        return max(1, min(self.max_tokens, left))

    # -- tools ----------------------------------------------------------------------------

    def _run_tools(self, message: Any) -> None:
        results: list[dict[str, Any]] = []
        for block in message.content:
            if block.type != "tool_use":
                continue
            if self.stop_event.is_set():
                raise RunStopped
            if results:  # the previous tool's step reaches the disk before this tool runs
                self.trajectory.save()
            if self.ctx.extra.get(HALT):  # the rest of this turn's calls are not run
                output, is_error = f"Not run: {self.ctx.extra[HALT]}.", True
            else:
                output, is_error, _ = self._call_tool(block.id, block.name, dict(block.input))
            results.append(
                {
                    "type": "tool_result",
                    "tool_use_id": block.id,
                    "content": output,
                    **({"is_error": True} if is_error else {}),
                }
            )
            if block.name == "submit_result" and not is_error:
                break
        if self.ctx.extra.get("contract") is None:
            results.extend(self._queued_blocks())  # delivered at this turn boundary
        self.messages.append({"role": "user", "content": results})
        self.trajectory.step("tool_results", count=len(results))

    def _call_tool(self, tool_use_id: str, name: str, tool_input: dict[str, Any]) -> tuple:
        tool = self.tools.get(name)
        quick = bool(getattr(tool, "quick", False))
        broadcast(self.observers, ToolCalled(tool_use_id, name, tool_input, quick))
        started = time.monotonic()
        is_error = True
        if tool is None:
            output = f"unknown tool {name!r}; available: {', '.join(self.tools)}"
        else:
            try:
                output = tool(tool_input, self.ctx)
                is_error = False
            except ToolError as exc:
                output = str(exc)
            except Exception as exc:  # a tool crash is the model's information
                output = f"{name} failed: {type(exc).__name__}: {exc}"
        output = cap_output(output)
        duration = time.monotonic() - started
        self.outcome.tool_trace.append(
            ToolTraceEntry(self.outcome.turns, name, tool_input, output, is_error, duration)
        )
        broadcast(self.observers, ToolFinished(tool_use_id, name, output, is_error, duration))
        # Saved with the next step (before the next tool or the next request); the input and
        # the output are in the messages, under the same tool_use_id.
        self.trajectory.record(
            "tool",
            tool_use_id=tool_use_id,
            name=name,
            is_error=is_error,
            seconds=round(duration, 3),
        )
        return output, is_error, duration

    def _queued_blocks(self) -> list[dict[str, Any]]:
        """Messages the user typed while the turn streamed, as text blocks for the next turn."""
        if self.inbox is None:
            return []
        texts = self.inbox.drain()
        for text in texts:
            self._notice(f"Delivered your queued message: {text}")
        return [{"type": "text", "text": f"{QUEUED_PREFIX}{text}"} for text in texts]

    def _continue_after_cut(self, message: Any) -> None:
        cut_calls = [block for block in message.content if block.type == "tool_use"]
        if cut_calls:
            content = [
                {
                    "type": "tool_result",
                    "tool_use_id": b.id,
                    "content": CUT_TOOL_CALL,
                    "is_error": True,
                }
                for b in cut_calls
            ]
        else:
            content = CONTINUE_AFTER_CUT
        self._notice("The reply reached max_tokens; asking the agent to continue.")
        self.messages.append({"role": "user", "content": content})

    # -- endings --------------------------------------------------------------------------

    def _finish_with_contract(self) -> RunResult:
        contract = self.ctx.extra["contract"]
        self.outcome.contract = contract
        self.outcome.checks = [
            CheckOutcome(c.description, c.test, c.passed, getattr(c, "output_tail", ""))
            for c in self.ctx.extra.get("check_results", [])
        ]
        failed = [check.test for check in self.outcome.checks if not check.passed]
        if failed:
            reason = f"{len(failed)} acceptance check(s) failed: {', '.join(failed)}"
            return self._finish("incomplete", f"contract submitted, but {reason}")
        note = self.ctx.extra.get("contract_note")
        return self._finish("ok", note or "contract submitted; every acceptance check passed")

    def _finish(self, status: Status, reason: str) -> RunResult:
        self.outcome.status = status
        self.outcome.reason = reason
        if status != "ok":
            self._notice(f"Run ended ({status}): {reason}", level="warning")
        self.trajectory.step("end", status=status, reason=reason)
        return self.outcome

    def _over_budget(self) -> str:
        return self.budget.exceeded(
            turns=self.outcome.turns,
            output_tokens=self.outcome.usage.output_tokens,
            cost=self.outcome.cost_usd,
            elapsed=time.monotonic() - self.started,
        )

    def _notice(self, message: str, level: str = "info") -> None:
        broadcast(self.observers, Notice(message, level))

    def _describe_fault(self, exc: Exception) -> str:
        replay = self.handle.replay
        if replay is not None and replay.mismatch is not None:
            return str(replay.mismatch)
        return describe_fault(exc, self.handle.client.max_retries)


def describe_fault(exc: Exception, retries: int) -> str:
    """One line a person can act on, for any API or network fault."""
    import anthropic

    after = f" after {retries} retries" if retries else ""
    if isinstance(exc, anthropic.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error", body) if isinstance(body, dict) else {}
        kind = error.get("type", "error") if isinstance(error, dict) else "error"
        detail = error.get("message", str(exc)) if isinstance(error, dict) else str(exc)
        if "prompt is too long" in str(detail).lower():
            return f"the conversation exceeded the context window ({detail})"
        retried = after if exc.status_code in (408, 409, 429) or exc.status_code >= 500 else ""
        return f"API error {exc.status_code} ({kind}){retried}: {detail}"
    if isinstance(exc, anthropic.APITimeoutError):
        return f"the API request timed out{after}"
    if isinstance(exc, anthropic.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"could not reach the API{after}: {type(cause).__name__}: {cause}"
    return f"the response stream broke: {type(exc).__name__}: {exc}"


def with_moving_breakpoint(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of the conversation with one cache breakpoint, on the latest message."""
    if not messages:
        return []
    out = list(messages[:-1])
    last = dict(messages[-1])  # copies down to the one block that changes
    content = last["content"]
    if isinstance(content, str):
        last["content"] = [{"type": "text", "text": content, "cache_control": CACHE}]
    elif content:
        last["content"] = [*content[:-1], {**content[-1], "cache_control": CACHE}]
    out.append(last)
    return out
