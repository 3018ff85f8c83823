"""The Messages API seam (layer 4): the SDK client for a mode, and the cassettes behind replay.

`client` makes the `anthropic` client for live, record, replay or auto; `replay` and
`recorder` are httpx2 transports plugged into that same client; `cassette` reads and writes
the session files; `sse` turns a message into the events the SDK streams.

May import: `history` (redaction), `contract`, `settings`.
"""
