"""One request against a workspace's app, in a process of its own: `workbench mcp`'s check.

Claude Code's `live_check` runs code the agent just wrote, so it is not imported into the
MCP server's process: `request_in_sandbox` starts this module in the workspace's OS sandbox,
which imports the app fresh (as `live_check.open_client` does), sends the request, and prints
one JSON line (status, headers, body, or the load error) for the server to read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .workspace import Workspace

MARKER = "WORKBENCH-LIVE-REQUEST "
TIMEOUT = 60.0


def answer(root: Path, request: dict[str, Any]) -> dict[str, Any]:
    from .live_check import AppLoadError, close_client, open_client

    try:
        client = open_client(root, raise_server_exceptions=False)
    except AppLoadError as exc:
        return {"error": f"the app could not be loaded: {exc}"}
    try:
        options: dict[str, Any] = {"headers": request.get("headers") or {}}
        if request.get("json") is not None:
            options["json"] = request["json"]
        response = client.request(request["method"], request["path"], **options)
    finally:
        close_client(client)
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "body": response.text,
    }


def request_in_sandbox(workspace: Workspace, request: dict[str, Any]) -> dict[str, Any]:
    """The answer of the app in `workspace` to `request`, computed in its sandbox."""
    from .containment import run_contained

    root = str(workspace.root)
    argv = [sys.executable, "-m", "agent_kernel.project.live_request", root, json.dumps(request)]
    run = run_contained(workspace, argv, env={"PYTHONPATH": root}, timeout=TIMEOUT)
    if run.timed_out:
        return {"error": f"the check did not finish within {TIMEOUT:g}s; it was stopped"}
    for line in reversed(run.output.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    return {"error": f"the check process ended without an answer:\n{run.output[-2000:]}"}


def main(argv: list[str]) -> int:
    root, request = Path(argv[0]), json.loads(argv[1])
    print(MARKER + json.dumps(answer(root, request)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
