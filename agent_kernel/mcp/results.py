"""An MCP `CallToolResult` as the text the model reads.

Text blocks pass through; structured content, when no text carries it, is shown as JSON;
images, audio and embedded resources are named, not inlined. A result larger than the cap
is an error the model can act on (ask for less), never a silently cut answer it would
mistake for the whole: Claude Code caps MCP output the same way.
"""

from __future__ import annotations

import json
from typing import Any

RESULT_CAP = 50_000


class McpResultError(Exception):
    """The server answered, but with an error or with more than the model may read."""


def result_text(result: Any, *, cap: int = RESULT_CAP, where: str = "MCP tool") -> str:
    """The result's text, or McpResultError when it is an error or oversized."""
    parts: list[str] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            parts.append(text if text is not None else f"[resource {resource.uri}]")
        elif kind == "resource_link":
            parts.append(f"[resource link {block.uri}]")
        else:
            parts.append(f"[{kind or 'unknown'} content, {getattr(block, 'mime_type', '')}]")
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, indent=2, default=str))
    text = "\n".join(parts)
    if getattr(result, "is_error", False):
        raise McpResultError(f"{where} returned an error: {text or '(no message)'}")
    if len(text) > cap:
        raise McpResultError(
            f"{where} returned {len(text):,} characters, more than the {cap:,} a result may "
            "hold; ask for less (a narrower query, a single symbol, a page of results)"
        )
    return text
