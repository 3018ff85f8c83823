"""Record: a transport that forwards to the live API and writes each exchange to a cassette.

Streaming passes straight through (the user watches the run live); the events are teed and,
when the stream closes, rebuilt into the final message and saved. Headers are never kept.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2

from .cassette import Cassette, Exchange
from .replay import describe_request
from .sse import accumulate, parse_stream


class RecordingTransport(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport, path: Path, model: str) -> None:
        self.inner = inner
        self.cassette = Cassette(
            source="recorded",
            model=model,
            date=dt.date.today().isoformat(),
            exchanges=[],
            path=Path(path),
        )
        self._next_prompt: str | None = None
        self._next_memory: dict[str, str] | None = None

    def mark_memory(self, digests: dict[str, str]) -> None:
        """The project memory of the run about to start: pinned on its first exchange, so a
        replay after CLAUDE.md changed says so by name."""
        self._next_memory = dict(digests)

    def mark_prompt(self, prompt: str) -> None:
        """The session's next prompt starts with the next request: it is marked there, so a
        replay (and a resume) finds where each prompt of a recorded conversation begins."""
        self._next_prompt = prompt.strip()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.read() or b"{}")
        if self.cassette.prompt is None:
            from .replay import first_user_text

            self.cassette.prompt = first_user_text(body.get("messages") or [])
            self.cassette.model = body.get("model") or self.cassette.model
        expect = describe_request(body)
        if self._next_prompt is not None and len(self.cassette.exchanges) > 0:
            expect["prompt"] = self._next_prompt
            if self._next_prompt not in self.cassette.prompts:
                self.cassette.prompts.append(self._next_prompt)
        self._next_prompt = None
        if self._next_memory is not None:
            expect["memory"] = self._next_memory
            self._next_memory = None
        response = self.inner.handle_request(request)
        # The body handed on is the decoded one, so its encoding headers must go with it.
        headers = _decoded_headers(response.headers)
        if response.status_code >= 400:
            response.read()
            self._save(Exchange(error=_error_of(response), expect=expect))
            return httpx2.Response(
                response.status_code, headers=headers, content=response.content, request=request
            )
        if "text/event-stream" in response.headers.get("content-type", ""):
            tee = _TeeStream(response, lambda message: self._save_message(message, expect))
            return httpx2.Response(
                response.status_code, headers=headers, stream=tee, request=request
            )
        response.read()
        self._save_message(response.json(), expect)
        return httpx2.Response(
            response.status_code, headers=headers, content=response.content, request=request
        )

    def _save_message(self, message: dict[str, Any] | None, expect: dict[str, Any]) -> None:
        if message is not None:
            self._save(Exchange(response=message, expect=expect))

    def _save(self, exchange: Exchange) -> None:
        self.cassette.exchanges.append(exchange)
        self.cassette.save()

    def close(self) -> None:
        self.inner.close()


def _decoded_headers(headers: httpx2.Headers) -> httpx2.Headers:
    """The headers without content-encoding and length: they describe the wire bytes."""
    kept = httpx2.Headers(headers)
    for name in ("content-encoding", "content-length", "transfer-encoding"):
        kept.pop(name, None)
    return kept


def _error_of(response: httpx2.Response) -> dict[str, Any]:
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    return {
        "status": response.status_code,
        "type": error.get("type", "api_error"),
        "message": error.get("message", response.text[:200]),
    }


class _TeeStream(httpx2.SyncByteStream):
    def __init__(self, response: httpx2.Response, on_complete: Any) -> None:
        self.response = response
        self.on_complete = on_complete
        self.chunks: list[bytes] = []

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.response.iter_bytes():  # decoded (a gateway may gzip the stream)
            self.chunks.append(chunk)
            yield chunk
        self.on_complete(accumulate(parse_stream(self.chunks)))

    def close(self) -> None:
        self.response.close()
