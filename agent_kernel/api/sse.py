"""Messages API server-sent events: a message to its event stream, and back again."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from typing import Any

TEXT_CHUNK = 48
JSON_CHUNK = 64


def message_events(message: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The events the API streams for `message`, in the order it sends them."""
    usage = dict(message.get("usage") or {})
    start = copy.deepcopy(message)
    start["content"] = []
    start["stop_reason"] = None
    start["stop_sequence"] = None
    start["usage"] = {**usage, "output_tokens": min(1, usage.get("output_tokens") or 0)}
    yield {"type": "message_start", "message": start}
    yield {"type": "ping"}
    for index, block in enumerate(message.get("content") or []):
        kind = block.get("type")
        if kind == "text":
            yield {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            }
            text = block.get("text") or ""
            for at in range(0, len(text), TEXT_CHUNK):
                yield {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": text[at : at + TEXT_CHUNK]},
                }
        elif kind == "tool_use":
            yield {
                "type": "content_block_start",
                "index": index,
                "content_block": {**block, "input": {}},
            }
            raw = json.dumps(block.get("input") or {})
            for at in range(0, len(raw), JSON_CHUNK):
                yield {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {
                        "type": "input_json_delta",
                        "partial_json": raw[at : at + JSON_CHUNK],
                    },
                }
        else:
            yield {"type": "content_block_start", "index": index, "content_block": block}
        yield {"type": "content_block_stop", "index": index}
    yield {
        "type": "message_delta",
        "delta": {
            "stop_reason": message.get("stop_reason"),
            "stop_sequence": message.get("stop_sequence"),
        },
        "usage": {"output_tokens": usage.get("output_tokens") or 0},
    }
    yield {"type": "message_stop"}


def encode(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def parse_stream(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """Decode SSE bytes into event dicts (the `data:` payloads)."""
    buffer = b""
    for chunk in chunks:
        buffer = (buffer + chunk).replace(b"\r\n", b"\n")  # SSE allows CRLF line ends
        while b"\n\n" in buffer:
            raw, buffer = buffer.split(b"\n\n", 1)
            data = [line[5:].strip() for line in raw.splitlines() if line.startswith(b"data:")]
            if data:
                yield json.loads(b"".join(data))


def accumulate(events: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """Rebuild the final message from its events, as the SDK does (None if it never started)."""
    message: dict[str, Any] | None = None
    partial_json: dict[int, str] = {}
    for event in events:
        kind = event.get("type")
        if kind == "message_start":
            message = copy.deepcopy(event["message"])
            message["content"] = []
        elif message is None:
            continue
        elif kind == "content_block_start":
            block = copy.deepcopy(event["content_block"])
            message["content"].append(block)
            if block.get("type") == "tool_use":
                partial_json[event["index"]] = ""
        elif kind == "content_block_delta":
            block = message["content"][event["index"]]
            delta = event["delta"]
            if delta.get("type") == "text_delta":
                block["text"] = block.get("text", "") + delta["text"]
            elif delta.get("type") == "input_json_delta":
                partial_json[event["index"]] += delta["partial_json"]
            elif delta.get("type") == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta["thinking"]
            elif delta.get("type") == "signature_delta":
                block["signature"] = delta["signature"]
        elif kind == "content_block_stop":
            index = event["index"]
            if index in partial_json:
                raw = partial_json.pop(index)
                message["content"][index]["input"] = json.loads(raw) if raw else {}
        elif kind == "message_delta":
            message.update({k: v for k, v in event.get("delta", {}).items()})
            usage = message.setdefault("usage", {})
            usage.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
    return message
