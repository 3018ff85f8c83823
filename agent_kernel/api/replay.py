"""Replay: an `httpx2` transport that answers Messages API requests from a cassette.

It plugs into the real `anthropic.Anthropic` client, so the SDK parses, streams, retries and
raises exactly as it does against the live API. Each request is checked against what the
cassette expects; a mismatch answers 400 with a message naming the exchange, what differed,
and how to re-record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2

from ..history.redaction import REDACTED, redact
from .cassette import Cassette, Exchange
from .sse import encode, message_events

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class CassetteMismatch(Exception):
    """A request the cassette cannot answer: the session no longer matches the recording."""

    def __init__(self, cassette: Cassette, number: int, difference: str) -> None:
        self.number = number
        self.difference = difference
        where = cassette.path or Path("cassette.yaml")
        total = len(cassette.exchanges)
        how = (
            "edit its scripted turns to match, or record a real session with"
            if cassette.scripted
            else "re-record it with"
        )
        super().__init__(
            f"cassette {where.name} does not match exchange {number} of {total}: {difference}. "
            f"The prompt, the tools or the code changed since it was made; {how}: "
            f"workbench run PROMPT --mode record --cassette {where}"
        )


def first_user_text(messages: list[dict[str, Any]]) -> str:
    for message in messages:
        if message.get("role") == "user":
            return _text_of(message).strip()
    return ""


def _text_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(
        block.get("text", "")
        for block in content or []
        if isinstance(block, dict) and block.get("type") == "text"
    )


def tool_result_ids(message: dict[str, Any] | None) -> list[str]:
    if not message or message.get("role") != "user" or isinstance(message.get("content"), str):
        return []
    return [
        block["tool_use_id"]
        for block in message.get("content") or []
        if isinstance(block, dict) and block.get("type") == "tool_result"
    ]


def describe_request(body: dict[str, Any]) -> dict[str, Any]:
    """What a later replay checks about this request (never headers or keys)."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else None
    expect: dict[str, Any] = {
        "model": body.get("model"),
        "tools": [tool.get("name") for tool in body.get("tools") or []],
        "messages": len(messages),
    }
    ids = tool_result_ids(last)
    if ids:
        expect["tool_results"] = ids
    elif last is not None:
        expect["last_user_text"] = _text_of(last).strip()
    return expect


def estimate_tokens(body: dict[str, Any]) -> int:
    """Input tokens of a request, estimated offline: about four characters a token."""
    sent = {key: body.get(key) for key in ("system", "tools", "messages")}
    return max(1, len(json.dumps(sent, default=str)) // 4)


def same_text(recorded: str, sent: str) -> bool:
    """Equal up to whitespace; a [REDACTED] span of the cassette stands for any secret.

    Cassettes are saved redacted, so a prompt that carried a key still replays.
    """
    recorded, sent = " ".join(recorded.split()), " ".join(sent.split())
    if recorded == sent:
        return True
    if REDACTED not in recorded:
        return False
    pattern = ".+?".join(re.escape(part) for part in recorded.split(REDACTED))
    return re.fullmatch(pattern, sent, re.DOTALL) is not None


def _short(text: str, limit: int = 80) -> str:
    """For error messages: redacted (they are printed and written) and shortened."""
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ReplayTransport(httpx2.BaseTransport):
    """Serves a cassette's exchanges in order, as JSON or as real SSE."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette
        self.cursor = 0
        self.mismatch: CassetteMismatch | None = None
        self.requests: list[dict[str, Any]] = []
        self.token_counts = 0  # count_tokens requests answered
        # The project memory of the run being served ({path: digest}), set by the runner;
        # an exchange that pins the memory it was made with is checked against it.
        self.memory: dict[str, str] | None = None

    def start_at_prompt(self, index: int) -> None:
        """Serve from the first exchange of the session's `index`-th prompt (0 = the first):
        a resumed session has had its earlier prompts answered in another process."""
        if index <= 0:
            return
        exchanges = self.cassette.exchanges
        starts = [i for i, exchange in enumerate(exchanges) if "prompt" in exchange.expect]
        self.cursor = starts[index - 1] if index - 1 < len(starts) else len(self.cassette.exchanges)

    @property
    def finished(self) -> bool:
        return self.cursor >= len(self.cassette.exchanges)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/v1/messages/count_tokens"):
            # Token counting is answered offline and takes no exchange: the count is the
            # same estimate scripted usage uses (about four characters a token).
            body = json.loads(request.read() or b"{}")
            self.token_counts += 1
            return httpx2.Response(
                200, json={"input_tokens": estimate_tokens(body)}, request=request
            )
        if not request.url.path.endswith("/v1/messages"):
            return _error(request, 404, f"replay serves only /v1/messages, not {request.url.path}")
        body = json.loads(request.read() or b"{}")
        self.requests.append(body)
        number = self.cursor + 1
        if self.finished:
            difference = (
                f"the run asked for exchange {number} but the session ends after "
                f"{len(self.cassette.exchanges)}"
            )
            return self._mismatch(request, number, difference)
        exchange = self.cassette.exchanges[self.cursor]
        difference = self._difference(number, exchange, body)
        if difference:
            return self._mismatch(request, number, difference)
        self.cursor += 1
        if exchange.timeout:
            raise httpx2.ReadTimeout("scripted timeout", request=request)
        if exchange.error is not None:
            status = int(exchange.error.get("status", 500))
            error_type = exchange.error.get("type") or ERROR_TYPES.get(status, "api_error")
            return _error(request, status, exchange.error.get("message", "API fault"), error_type)
        assert exchange.response is not None
        if body.get("stream"):
            stream = _EventStream(exchange.response, cut=exchange.stream_cut)
            return httpx2.Response(
                200,
                headers={"content-type": "text/event-stream", "request-id": "req_replay"},
                stream=stream,
                request=request,
            )
        return httpx2.Response(200, json=exchange.response, request=request)

    def _difference(self, number: int, exchange: Exchange, body: dict[str, Any]) -> str | None:
        messages = body.get("messages") or []
        expect = exchange.expect
        if number == 1 and self.cassette.prompt is not None:
            sent = first_user_text(messages)
            if not same_text(self.cassette.prompt, sent):
                return (
                    f"the prompt differs: cassette has {_short(self.cassette.prompt)!r}, "
                    f"the run sent {_short(sent)!r}"
                )
        if not self.cassette.scripted:
            if expect.get("model") and body.get("model") != expect["model"]:
                return f"the model differs: cassette {expect['model']!r}, run {body.get('model')!r}"
            sent_tools = [tool.get("name") for tool in body.get("tools") or []]
            if "tools" in expect and sent_tools != expect["tools"]:
                return f"the tools differ: cassette {expect['tools']}, run {sent_tools}"
        last = messages[-1] if messages else None
        if "prompt" in expect:  # the first request of a later prompt of the session
            sent = _text_of(last).strip() if last and last.get("role") == "user" else ""
            if not same_text(str(expect["prompt"]), sent):
                return (
                    f"the session's next prompt differs: cassette has "
                    f"{_short(expect['prompt'])!r}, the run sent {_short(sent)!r}"
                )
        pinned = expect.get("memory")
        if isinstance(pinned, dict) and self.memory is not None:
            from ..specs.memory import memory_mismatch

            changed = memory_mismatch(pinned, self.memory)
            if changed:
                return (
                    f"the project memory differs from the one the session was made with "
                    f"({changed}); record the session again so it sees this memory"
                    + (
                        " (or update the `memory:` digests of its scripted prompt)"
                        if self.cassette.scripted
                        else ""
                    )
                )
        wanted = expect.get("tool_results")
        if wanted is not None:
            got = tool_result_ids(last)
            if sorted(got) != sorted(wanted):
                return f"expected results for tool calls {wanted}, the run sent {got or 'none'}"
        elif "last_user_text" in expect and last is not None:
            sent = _text_of(last).strip()
            if not same_text(str(expect["last_user_text"]), sent):
                return (
                    f"the last message differs: cassette {_short(expect['last_user_text'])!r}, "
                    f"run {_short(sent)!r}"
                )
        return None

    def _mismatch(self, request: httpx2.Request, number: int, difference: str) -> httpx2.Response:
        self.mismatch = CassetteMismatch(self.cassette, number, difference)
        return _error(request, 400, str(self.mismatch), retry=False)


def _error(
    request: httpx2.Request,
    status: int,
    message: str,
    error_type: str | None = None,
    *,
    retry: bool | None = None,
) -> httpx2.Response:
    headers = {"retry-after-ms": "5", "request-id": "req_replay"}
    if retry is not None:
        headers["x-should-retry"] = "true" if retry else "false"
    payload = {
        "type": "error",
        "error": {"type": error_type or ERROR_TYPES.get(status, "api_error"), "message": message},
    }
    return httpx2.Response(status, json=payload, headers=headers, request=request)


class _EventStream(httpx2.SyncByteStream):
    """The SSE body; `cut` drops the connection halfway, as a flaky network would."""

    def __init__(self, message: dict[str, Any], *, cut: bool = False) -> None:
        self.message = message
        self.cut = cut

    def __iter__(self) -> Iterator[bytes]:
        events = list(message_events(self.message))
        stop_at = len(events) // 2 if self.cut else len(events)
        for event in events[:stop_at]:
            yield encode(event)
        if self.cut:
            raise httpx2.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            )
