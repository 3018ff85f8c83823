"""The context window of a long session: count before sending, clear old tool output.

The SDK's own token counter (`client.messages.count_tokens`, the stable endpoint of the
pinned `anthropic` 2.x) measures the next request once a cheap local estimate says it may be
near the limit. When it is, the outputs of older tool calls are cleared the way the API's
`clear_tool_uses_20250919` context edit does (the call stays, its result becomes a short
placeholder; the latest ones are kept), and the loop says so. Clearing here, not through the
beta, keeps the conversation the model saw identical to the saved trajectory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CLEARED = "[output cleared to keep the conversation inside the context window; run the tool again if you need it]"  # noqa: E501


@dataclass
class ContextWindow:
    """`limit` tokens; trim when the next request reaches `trigger` of it."""

    limit: int = 200_000
    trigger: float = 0.8
    keep_tool_results: int = 3
    cleared_total: int = 0

    def fit(self, client: Any, request: dict[str, Any], messages: list[dict[str, Any]]) -> str:
        """Clear older tool results in place when the request is near the limit; say so."""
        threshold = int(self.limit * self.trigger)
        if _estimate(request, messages) < threshold // 2:
            return ""  # far from the limit: no counting request at all
        tokens = _count(client, request, messages)
        if tokens < threshold:
            return ""
        cleared = clear_old_tool_results(messages, self.keep_tool_results)
        if not cleared:
            return ""
        self.cleared_total += cleared
        after = _count(client, request, messages)
        return (
            f"Context: the next request reached {tokens} of {self.limit} tokens; cleared the "
            f"output of {cleared} older tool call(s), keeping the latest "
            f"{self.keep_tool_results} (now {after} tokens)."
        )


def _estimate(request: dict[str, Any], messages: list[dict[str, Any]]) -> int:
    sent = {"system": request.get("system"), "tools": request.get("tools"), "m": messages}
    return len(json.dumps(sent, default=str)) // 4


def _count(client: Any, request: dict[str, Any], messages: list[dict[str, Any]]) -> int:
    counted = client.messages.count_tokens(
        model=request["model"],
        system=request["system"],
        tools=request["tools"],
        messages=messages,
    )
    return int(counted.input_tokens)


def clear_old_tool_results(messages: list[dict[str, Any]], keep: int) -> int:
    """Replace the content of all but the latest `keep` tool results; the count cleared."""
    places = [
        (index, position)
        for index, message in enumerate(messages)
        if message.get("role") == "user" and isinstance(message.get("content"), list)
        for position, block in enumerate(message["content"])
        if block.get("type") == "tool_result" and block.get("content") != CLEARED
    ]
    old = places[: max(0, len(places) - keep)]
    for index, position in old:
        message = messages[index]
        content = list(message["content"])
        content[position] = {**content[position], "content": CLEARED}
        messages[index] = {**message, "content": content}  # a new object: saved again
    return len(old)
