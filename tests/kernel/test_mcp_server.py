"""`workbench mcp`, listed and called by the `mcp` SDK's own client, over stdio and HTTP."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_support import free_port, http_server

from agent_kernel.history.phr import parse_phr

WORKBENCH = str(Path(sys.executable).parent / "workbench")
SERVED = {
    "run_tests",
    "inspect_api",
    "live_check",
    "validate_contract",
    "record_phr",
    "suggest_adr",
    "create_adr",
}


def text(result) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


async def exercise(session: ClientSession, kit) -> dict:
    await session.initialize()
    listed = {tool.name: tool for tool in (await session.list_tools()).tools}
    out = {"names": set(listed), "schemas": {n: t.input_schema for n, t in listed.items()}}
    out["health"] = await session.call_tool("live_check", {"path": "/api/health"})
    out["missing"] = await session.call_tool("live_check", {"path": "/api/nope"})
    out["inspect"] = await session.call_tool("inspect_api", {"symbol": "fastapi.FastAPI"})
    out["bad_contract"] = await session.call_tool("validate_contract", {"contract": {"x": 1}})
    decision = {
        "title": "Stateless JWT access tokens",
        "choice": "JWT",
        "alternatives": ["server sessions"],
        "long_term_impact": True,
        "cross_cutting": True,
    }
    contract = kit.contract(decisions=[decision])
    out["good_contract"] = await session.call_tool("validate_contract", {"contract": contract})
    out["suggest"] = await session.call_tool("suggest_adr", {"contract": contract})
    out["phr"] = await session.call_tool(
        "record_phr", {"prompt": "Add GET /api/ping", "contract": contract, "model": "m"}
    )
    out["adr"] = await session.call_tool(
        "create_adr", {"title": "Use stateless JWT", "context": "c", "decision": "d"}
    )
    out["tests"] = await session.call_tool("run_tests", {"target": "tests/test_health.py"})
    return out


def check(out: dict, project: Path) -> None:
    assert out["names"] == SERVED
    assert out["schemas"]["live_check"]["required"] == ["path"]
    assert "acceptance_checks" in str(out["schemas"]["record_phr"])  # the contract's own schema
    assert "status: 200" in text(out["health"]) and '"ok"' in text(out["health"])
    assert "status: 404" in text(out["missing"])
    assert "installed version" in text(out["inspect"])
    assert out["bad_contract"].is_error and "surface_and_success" in text(out["bad_contract"])
    assert "valid: 1 acceptance checks; ADR suggested for" in text(out["good_contract"])
    assert "Stateless JWT access tokens" in text(out["suggest"])
    phr_rel = text(out["phr"]).removeprefix("PHR written: ")
    record = parse_phr(project / phr_rel)
    assert record["front_matter"]["stage"] == "green"
    assert phr_rel.startswith("history/prompts/ping/0001-")
    assert (project / text(out["adr"]).removeprefix("ADR written: ")).is_file()
    assert "run_tests tests/test_health.py: passed" in text(out["tests"])


def project_copy(workspace, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(workspace.root, project, ignore=shutil.ignore_patterns(".workbench"))
    return project


def test_workbench_mcp_over_stdio(workspace, tmp_path, kit):
    project = project_copy(workspace, tmp_path)
    params = StdioServerParameters(command=WORKBENCH, args=["mcp"], cwd=str(project))

    async def main() -> dict:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            return await exercise(session, kit)

    check(asyncio.run(main()), project)


def test_workbench_mcp_over_http_on_loopback_needs_its_token(workspace, tmp_path, kit):
    import httpx2 as httpx

    project = project_copy(workspace, tmp_path)
    port = free_port()
    argv = [WORKBENCH, "mcp", "--workspace", str(project), "--http", str(port)]
    token = "test-token-" + "q" * 24
    with http_server(argv, port, env={"WORKBENCH_MCP_TOKEN": token}) as url:
        # A bare local client (curl, a page in the browser) is turned away, whatever it asks.
        bare = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        wrong = httpx.post(url, json={}, headers={"Authorization": "Bearer nope"})
        assert bare.status_code == wrong.status_code == 401
        assert not list((project / "history").rglob("*.md"))

        async def main() -> dict:
            auth = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"})
            async with (
                streamable_http_client(url, http_client=auth) as (read, write),
                ClientSession(read, write) as session,
            ):
                return await exercise(session, kit)

        check(asyncio.run(main()), project)


def test_workbench_mcp_over_http_prints_a_new_token_when_none_is_given(tmp_path):
    from agent_kernel.terminal.mcp_server import http_token

    first, generated = http_token()
    second, _ = http_token()
    assert generated and len(first) >= 32 and first != second
