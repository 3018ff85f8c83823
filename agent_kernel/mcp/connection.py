"""Live MCP client sessions, on the official `mcp` SDK, for a synchronous caller.

The SDK is async (anyio); the agent loop is not. Each hub runs one event loop in a daemon
thread, and each server is held open by one task of that loop for the whole run (anyio's
cancel scopes must be entered and left by the same task). Calls cross over with
`run_coroutine_threadsafe` and a deadline, so a server that hangs, dies or answers with an
error becomes an exception for that call only: the run, the other servers and the kernel
go on. A server's stderr goes to a temp file, whose tail explains why it would not start.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

from .config import ServerConfig

CONNECT_TIMEOUT = 30.0
CALL_TIMEOUT = 60.0
STDERR_TAIL = 800
CLOSE_TIMEOUT = 5.0
CANCEL_POLL = 0.1  # seconds between looks at the run's Stop during a call


class McpServerError(RuntimeError):
    """A server that could not be started or reached, or that went away."""


class McpCallError(RuntimeError):
    """One tool call that failed: a timeout, a lost connection, a protocol error."""


@dataclass(frozen=True)
class RemoteTool:
    """A tool as its server lists it: name, description and input schema, unchanged."""

    server: str
    name: str
    description: str
    input_schema: dict[str, Any]


class _Server:
    """One server held open by a task of the hub's loop."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.session: Any = None
        self.tools: list[RemoteTool] = []
        self.error: str | None = None  # why it is not usable (start failure, crash)
        self.ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.closing: asyncio.Event | None = None
        self.task: asyncio.Task[None] | None = None
        self.stderr: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 (closed by the hub)

    def stderr_tail(self) -> str:
        """The end of what the server wrote to stderr (read with pread: the server shares
        the file offset, so seeking here would make it overwrite its own log)."""
        with contextlib.suppress(OSError, ValueError):
            fd = self.stderr.fileno()
            size = os.fstat(fd).st_size
            start = max(0, size - STDERR_TAIL)
            text = os.pread(fd, size - start, start).decode("utf-8", "replace").strip()
            if text:
                return "\nserver stderr (last lines):\n" + text
        return ""


class McpHub:
    """The MCP servers of one run: start them, list their tools, call them, close them."""

    def __init__(
        self,
        servers: dict[str, ServerConfig],
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        call_timeout: float = CALL_TIMEOUT,
    ) -> None:
        self.servers = {name: _Server(config) for name, config in servers.items()}
        self.connect_timeout = connect_timeout
        self.call_timeout = call_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> McpHub:
        """Start every server at once; one that fails is recorded in `failures`, not raised."""
        if self._loop is not None or not self.servers:
            return self
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="mcp-hub", daemon=True)
        self._thread.start()
        for server in self.servers.values():
            asyncio.run_coroutine_threadsafe(self._spawn(server), loop).result()
        for server in self.servers.values():
            try:
                server.ready.result(timeout=self.connect_timeout)
            except concurrent.futures.TimeoutError:
                server.error = (
                    f"MCP server {server.config.describe()} did not answer within "
                    f"{self.connect_timeout:g}s of starting{server.stderr_tail()}"
                )
                self._cancel(server)
            except Exception as exc:
                server.error = (
                    f"MCP server {server.config.describe()} could not be started: "
                    f"{_describe(exc)}{server.stderr_tail()}"
                )
        return self

    async def _spawn(self, server: _Server) -> None:
        server.closing = asyncio.Event()
        server.task = asyncio.get_running_loop().create_task(self._hold(server))

    async def _hold(self, server: _Server) -> None:
        from mcp import ClientSession

        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(_transport(server, stack))
                session = await stack.enter_async_context(ClientSession(read, write))
                await session.initialize()
                listing = await session.list_tools()
                server.tools = [
                    RemoteTool(
                        server.config.name,
                        tool.name,
                        tool.description or "",
                        dict(tool.input_schema or {"type": "object"}),
                    )
                    for tool in listing.tools
                ]
                server.session = session
                server.ready.set_result(None)
                assert server.closing is not None
                await server.closing.wait()
        except BaseException as exc:
            if not server.ready.done():
                server.ready.set_exception(
                    exc if isinstance(exc, Exception) else RuntimeError("cancelled")
                )
            elif server.error is None and not server.closing.is_set():  # type: ignore[union-attr]
                server.error = f"MCP server {server.config.name!r} went away: {_describe(exc)}"
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        finally:
            server.session = None

    def _cancel(self, server: _Server) -> None:
        if self._loop is not None and server.task is not None:
            self._loop.call_soon_threadsafe(server.task.cancel)

    def close(self) -> None:
        """Stop every server (stdio processes are terminated by the SDK) and the loop."""
        loop = self._loop
        if loop is None:
            return
        self._loop = None

        async def shut() -> None:
            tasks = []
            for server in self.servers.values():
                if server.closing is not None:
                    server.closing.set()
                if server.task is not None:
                    tasks.append(server.task)
            if tasks:
                _done, pending = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
                for task in pending:
                    task.cancel()
                if pending:
                    await asyncio.wait(pending, timeout=CLOSE_TIMEOUT)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shut(), loop).result(CLOSE_TIMEOUT * 3)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(CLOSE_TIMEOUT)
        if not loop.is_running():
            loop.close()
        for server in self.servers.values():
            with contextlib.suppress(OSError):
                server.stderr.close()

    def __enter__(self) -> McpHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what a run sees ----------------------------------------------------------------

    @property
    def tools(self) -> list[RemoteTool]:
        return [tool for server in self.servers.values() for tool in server.tools]

    @property
    def failures(self) -> dict[str, str]:
        """Servers that would not start or went away, with the reason."""
        return {name: s.error for name, s in self.servers.items() if s.error}

    def call(
        self,
        server_name: str,
        tool: str,
        arguments: dict[str, Any],
        timeout: float | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Any:
        """The server's `CallToolResult` (which may say `is_error`), or McpCallError.

        `cancel` (the run's Stop) abandons the call at once; the server keeps running.
        """
        server = self.servers.get(server_name)
        if server is None:
            raise McpServerError(f"no MCP server named {server_name!r} in this run")
        if server.session is None or self._loop is None:
            raise McpServerError(server.error or f"MCP server {server_name!r} is not connected")
        timeout = self.call_timeout if timeout is None else timeout
        session = server.session
        future = asyncio.run_coroutine_threadsafe(
            session.call_tool(tool, arguments, read_timeout_seconds=timeout), self._loop
        )
        deadline = time.monotonic() + timeout + 5.0
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    future.cancel()
                    raise McpCallError(
                        f"MCP call {server_name}/{tool} stopped: the run was stopped"
                    )
                if future.done():  # its own exception, a TimeoutError too, is handled below
                    return future.result()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise concurrent.futures.TimeoutError
                try:
                    return future.result(min(CANCEL_POLL, left))
                except concurrent.futures.TimeoutError:
                    continue
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise McpCallError(_timed_out(server_name, tool, timeout)) from None
        except McpCallError:
            raise
        except Exception as exc:
            text = _describe(exc)
            if "timed out" in text:
                raise McpCallError(_timed_out(server_name, tool, timeout)) from None
            if "closed" in text.lower():
                server.error = (
                    f"MCP server {server_name!r} went away during a call to {tool!r} "
                    "(it crashed or exited); its tools are unavailable for the rest of this run"
                )
                raise McpServerError(server.error) from None
            raise McpCallError(f"MCP call {server_name}/{tool} failed: {text}") from None


def _timed_out(server: str, tool: str, timeout: float) -> str:
    return (
        f"MCP call {server}/{tool} timed out after {timeout:g}s; the server is still "
        "running, so a smaller request may succeed"
    )


@contextlib.asynccontextmanager
async def _transport(server: _Server, stack: contextlib.AsyncExitStack) -> Any:
    config = server.config
    if config.transport == "http":
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        client = await stack.enter_async_context(
            create_mcp_http_client(headers=dict(config.headers) or None)
        )
        async with streamable_http_client(config.url, http_client=client) as streams:
            yield streams[0], streams[1]
    else:
        from mcp import StdioServerParameters, stdio_client

        params = StdioServerParameters(
            command=config.command,
            args=list(config.args),
            env=dict(config.env) or None,
            cwd=config.cwd,
        )
        async with stdio_client(params, errlog=server.stderr) as streams:
            yield streams[0], streams[1]


def _describe(exc: BaseException) -> str:
    """One line for an exception, looking inside the exception groups anyio raises."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip()
    message = getattr(getattr(exc, "error", None), "message", None)
    if message:
        text = message
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
