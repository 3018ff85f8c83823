"""`workbench mcp`: the workbench's own capabilities served over MCP, for Claude Code.

Claude Code opened in a project with the repo's `.mcp.json` and the agent file gets the same
tools the workbench gives its agent, under `mcp__workbench__<tool>`: `run_tests`,
`inspect_api`, `live_check` (a request against the project's app in process: status,
headers, body), `validate_contract`, `record_phr` (a PHR in the Spec-Kit Plus layout from a
contract), `suggest_adr` and `create_adr` (written only when called). The project is the
working directory (or `--workspace`), worked on in place: Claude Code edits it itself.
Stdio by default; `--http PORT` serves streamable HTTP on loopback only, to clients that
send the bearer token it prints (or `WORKBENCH_MCP_TOKEN`).

A front end: it may import any layer below it, and nothing imports it.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from ..contract import ExecutionContract  # at module level: the tools' annotations name it

LOOPBACK = "127.0.0.1"
BODY_CAP = 20_000


def build_server(root: Path | str = ".", *, history: Path | str | None = None) -> Any:
    """The MCP server for the project at `root` (its history under `root/history`)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError as McpToolError

    from ..history.adr import AdrDraft, suggestion_text, write_adr
    from ..history.phr import PromptRecord, write_phr
    from ..project.containment import SandboxUnavailable
    from ..project.workspace import Workspace
    from ..tools.base import ToolContext, ToolError, cap_output
    from ..tools.inspect_api import InspectApiTool
    from ..tools.run_tests import run_pytest
    from ..tools.submit_result import format_validation_error

    workspace = Workspace(root)
    history_dir = Path(history) if history else workspace.root / "history"
    server = MCPServer(
        "workbench",
        instructions=(
            "The FastAPI Agent Workbench's tools for the project in the working directory: "
            "run its tests, read installed APIs, check the live app in process, validate an "
            "Execution Contract, record the PHR, suggest and (only on request) create ADRs."
        ),
    )
    # The server sets the root logger to INFO, where httpx (and httpx2, which the TestClient
    # may use) logs each request a live check makes ("HTTP Request: GET http://testserver/
    # ..."): one line per check, into the client's log. Their warnings still show.
    for name in ("httpx", "httpx2"):
        logging.getLogger(name).setLevel(logging.WARNING)

    @server.tool()
    def run_tests(
        target: Annotated[
            str | None, Field(description="A path or node id; the whole suite when omitted.")
        ] = None,
    ) -> str:
        """Run pytest in the project, in its own process group, with a time limit and
        without API keys or other secrets in its environment. Failing tests are reported,
        not raised."""
        try:
            run = run_pytest(workspace, target or None, timeout=120.0)
        except (ToolError, SandboxUnavailable) as exc:
            raise McpToolError(str(exc)) from None
        return f"run_tests {target or '(whole suite)'}: {run.header()}\n\n{run.output}"

    @server.tool()
    def inspect_api(
        symbol: Annotated[str, Field(description="e.g. fastapi.FastAPI.add_middleware")],
    ) -> str:
        """Signature, docstring, source file and installed version of a package or dotted
        symbol, read from what is installed, not from memory."""
        try:
            return InspectApiTool()({"symbol": symbol}, ToolContext(workspace=workspace))
        except ToolError as exc:
            raise McpToolError(str(exc)) from None

    @server.tool()
    def live_check(
        path: Annotated[str, Field(description="e.g. /api/health")],
        method: str = "GET",
        json_body: Annotated[Any, Field(description="A JSON body to send, if any.")] = None,
        headers: dict[str, str] | None = None,
    ) -> str:
        """A request against the project's app, imported fresh in a sandboxed process and
        wrapped in FastAPI's TestClient; returns the status, the headers and the body."""
        from ..project.containment import SandboxUnavailable
        from ..project.live_request import request_in_sandbox

        request = {"method": method.upper(), "path": path, "headers": headers, "json": json_body}
        try:
            answer = request_in_sandbox(workspace, request)
        except SandboxUnavailable as exc:
            raise McpToolError(f"refused: {exc}") from None
        if "error" in answer:
            raise McpToolError(answer["error"])
        shown = json.dumps(answer["headers"], indent=1)
        body = cap_output(answer["body"], BODY_CAP)
        return f"status: {answer['status']}\nheaders: {shown}\nbody:\n{body}"

    @server.tool()
    def validate_contract(
        contract: Annotated[
            dict[str, Any],
            Field(description="The Execution Contract, as `submit_result` takes it."),
        ],
    ) -> str:
        """Check an Execution Contract (surface and success, constraints, artifact,
        acceptance checks, at most 3 follow-ups, decisions, PHR fields); returns what is
        wrong, or that it is valid and which decisions meet the ADR significance test."""
        try:
            parsed = ExecutionContract.model_validate(contract)
        except ValidationError as exc:
            raise McpToolError(format_validation_error(exc)) from None
        significant = [d.title for d in parsed.significant_decisions()]
        adr = f"; ADR suggested for: {', '.join(significant)}" if significant else ""
        return f"valid: {len(parsed.acceptance_checks)} acceptance checks{adr}"

    @server.tool()
    def record_phr(
        prompt: Annotated[str, Field(description="The user's prompt, verbatim.")],
        contract: ExecutionContract,
        model: str = "unknown",
        files: list[str] | None = None,
    ) -> str:
        """Write the Prompt History Record for a finished request, in the Spec-Kit Plus
        layout (history/prompts/<feature or stage>/NNNN-<title>.<stage>.prompt.md)."""
        record = PromptRecord(
            title=contract.phr.title,
            stage=contract.phr.stage,
            prompt=prompt,
            response_snapshot=contract.surface_and_success,
            model=model,
            feature=contract.phr.feature,
            command="workbench mcp record_phr",
            labels=list(contract.phr.labels),
            files=list(files or []),
            tests=[check.test for check in contract.acceptance_checks],
            impact=contract.artifact_summary,
            tests_summary=f"{len(contract.acceptance_checks)} acceptance checks listed",
            files_summary=", ".join(files or []) or "no files listed",
            next_prompts=list(contract.follow_ups_and_risks),
            reflection="Recorded through the workbench's MCP server.",
            failure_modes="none reported",
            graders="acceptance checks as listed in the contract",
            prompt_variant="agent definition through Claude Code",
            next_experiment="none",
            source="live",
        )
        path = write_phr(history_dir, record)
        return f"PHR written: {path.relative_to(history_dir.parent).as_posix()}"

    @server.tool()
    def suggest_adr(contract: ExecutionContract) -> str:
        """The ADR suggestions for a contract's decisions that are significant (long-term
        impact, real alternatives, cross-cutting scope: all three). Writes nothing."""
        texts = [suggestion_text(d) for d in contract.significant_decisions()]
        return "\n".join(texts) or "No decision meets the ADR significance test."

    @server.tool()
    def create_adr(
        title: str,
        context: str,
        decision: str,
        consequences_positive: list[str] | None = None,
        consequences_negative: list[str] | None = None,
        alternatives: list[str] | None = None,
        feature: str = "none",
    ) -> str:
        """Write an ADR (history/adr/NNNN-<slug>.md). Only when the user asked for it."""
        draft = AdrDraft(
            title=title,
            context=context,
            decision=decision,
            consequences_positive=list(consequences_positive or []),
            consequences_negative=list(consequences_negative or []),
            alternatives=list(alternatives or []),
            feature=feature,
        )
        path = write_adr(history_dir, draft)
        return f"ADR written: {path.relative_to(history_dir.parent).as_posix()}"

    return server


TOKEN_ENV = "WORKBENCH_MCP_TOKEN"


class BearerAuth:
    """Every HTTP request needs `Authorization: Bearer <token>` (compared in constant time);
    anything else is answered 401 before it reaches the MCP server. Lifespan events pass."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            import hmac

            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = b'{"error": "unauthorized: send Authorization: Bearer <token>"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b"Bearer"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def http_token() -> tuple[str, bool]:
    """`WORKBENCH_MCP_TOKEN`, else a new random token; and whether it was generated."""
    import os
    import secrets

    given = os.environ.get(TOKEN_ENV, "").strip()
    return (given, False) if given else (secrets.token_urlsafe(32), True)


def serve(root: Path | str = ".", *, http_port: int | None = None, history: Path | None = None):
    """Serve until the client hangs up (stdio) or the process is stopped (HTTP)."""
    server = build_server(root, history=history)
    if http_port is None:
        server.run()
        return
    import uvicorn

    token, generated = http_token()
    url = f"http://{LOOPBACK}:{http_port}/mcp"
    if generated:
        print(f"workbench mcp: {url}\nbearer token: {token}", file=sys.stderr, flush=True)
    else:
        print(f"workbench mcp: {url} (token from {TOKEN_ENV})", file=sys.stderr, flush=True)
    app = BearerAuth(server.streamable_http_app(host=LOOPBACK), token)
    uvicorn.run(app, host=LOOPBACK, port=http_port, log_level="warning")


def run(args: Any) -> int:
    if args.http is not None and not 0 < args.http < 65536:
        print("workbench: --http needs a port between 1 and 65535", file=sys.stderr)
        return 2
    if not args.workspace.is_dir():
        print(f"workbench: no project folder at {args.workspace}", file=sys.stderr)
        return 2
    serve(args.workspace, http_port=args.http, history=args.history)
    return 0
