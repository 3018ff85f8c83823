"""A notebook using the workbench, run headless by nbclient in the venv's own kernel: the run
renders in place and its saved output reads as plain text too (as papermill stores it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from ui_support import ASK, ASK_PROMPT, PING, PING_PROMPT

KERNEL = "fastapi-workbench-ui-test"


@pytest.fixture
def kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec for this very interpreter, so the notebook cannot run elsewhere."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"}), "utf-8"
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    return KERNEL


def test_a_notebook_run_renders_in_place_with_a_plain_text_fallback(tmp_path, kernel, offline):
    cells = [
        "%load_ext agent_kernel\nfrom agent_kernel import Workbench\n"
        f"wb = Workbench(workspace='ws', mode='replay', cassette={str(PING)!r})",
        f"result = wb.run({PING_PROMPT!r})",
        "result",
        f"%%agent --cassette {ASK}\n{ASK_PROMPT}",
        "print(wb.last_result.status, wb.client().get('/api/ping').json())",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(
        nb, kernel_name=kernel, timeout=240, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()

    run_outputs = nb.cells[1].outputs
    assert [o.output_type for o in run_outputs] == ["display_data"], "one display, updated"
    text = run_outputs[0].data["text/plain"]
    page = run_outputs[0].data["text/html"]
    assert text.startswith("▶ REPLAY · SCRIPTED SESSION — replay of a scripted session ping.yaml")
    assert "Offline replay, no API key needed. To go live, set ANTHROPIC_API_KEY" in text
    assert "→ str_replace_based_edit_tool: create sandbox_app/api/routes/ping.py" in text
    assert '8 |     return {"ping": "pong"}' in text
    assert "Acceptance checks: 1/1 passed" in text
    assert "+api_router.include_router(ping.router)" in text
    assert "Prompt History Record: history/prompts/ping/0001-add-a-ping-route.green.prompt.md" in (
        text
    )
    assert "⏳" not in page and "… turn" not in text, "the final state, not a progress frame"
    assert 'class="wb-add"' in page

    summary = nb.cells[2].outputs[0]
    assert summary.output_type == "execute_result"
    assert summary.data["text/plain"].startswith("RunResult ✔ ok")
    assert "RunResult" in summary.data["text/html"]

    magic = nb.cells[3].outputs
    assert (
        len(magic) == 1 and "replay of a scripted session ask.yaml" in magic[0].data["text/plain"]
    )
    assert nb.cells[4].outputs[0].text == "ok {'ping': 'pong'}\n"
    assert (offline / "prompts" / "pagination").is_dir()
