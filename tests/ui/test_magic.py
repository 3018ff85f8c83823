"""`%%agent` on a real IPython shell: load the extension, run a cell, reuse `wb`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell
from ui_support import ASK, ASK_PROMPT, PING, PING_PROMPT

from agent_kernel import Workbench
from agent_kernel.notebook.magic import parse_options


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "agent_kernel")
    ip.user_ns.pop("wb", None)
    yield ip
    ip.user_ns.pop("wb", None)


def test_load_ext_registers_the_cell_magic(shell):
    assert "agent" in shell.magics_manager.magics["cell"]


def test_cell_body_is_the_prompt_and_wb_is_created(shell, tmp_path, offline, capsys):
    ws = tmp_path / "magic-ws"
    shell.run_cell_magic("agent", f"--mode replay --cassette {PING} --workspace {ws}", PING_PROMPT)
    out = capsys.readouterr().out
    wb = shell.user_ns["wb"]
    assert isinstance(wb, Workbench)
    assert wb.workspace.root == ws.resolve() and wb.mode == "replay"
    assert wb.last_result is not None and wb.last_result.ok, wb.last_result.reason
    assert wb.last_result.prompt == PING_PROMPT
    # outside a notebook the run is shown as plain text, closing sections included
    assert "replay of a scripted session ping.yaml" in out
    assert "Acceptance checks: 1/1 passed" in out
    assert "history/prompts/ping/0001-add-a-ping-route.green.prompt.md" in out
    assert (offline / "prompts" / "ping" / "0001-add-a-ping-route.green.prompt.md").is_file()
    # the next cell checks the app the agent built
    shell.run_cell("response = wb.client().get('/api/ping').json()")
    assert shell.user_ns["response"] == {"ping": "pong"}
    shell.run_cell("wb.close()")


def test_the_users_workbench_is_reused_and_options_adjust_it(shell, tmp_path):
    mine = Workbench(workspace=tmp_path / "mine", history=tmp_path / "h", cassette=PING)
    shell.user_ns["wb"] = mine
    shell.run_cell_magic("agent", f"--mode replay --cassette {ASK}", f"\n  {ASK_PROMPT}\n\n")
    assert shell.user_ns["wb"] is mine
    assert mine.mode == "replay" and mine.cassette == ASK
    assert mine.last_result.ok and mine.last_result.prompt == ASK_PROMPT
    assert (tmp_path / "h" / "prompts" / "pagination").is_dir()

    # another workspace means another workbench, stored as wb
    shell.run_cell_magic(
        "agent", f"--mode replay --cassette {ASK} --workspace {tmp_path / 'other'}", ASK_PROMPT
    )
    assert shell.user_ns["wb"] is not mine
    assert shell.user_ns["wb"].workspace.root == (tmp_path / "other").resolve()


def test_mistakes_are_one_clear_line(shell, tmp_path, capsys):
    shell.run_cell_magic("agent", "--mode replay", "   ")
    assert "the cell is empty" in capsys.readouterr().out
    shell.run_cell_magic("agent", "--colour blue", "hello")
    assert "unknown option(s) --colour blue" in capsys.readouterr().out
    assert "wb" not in shell.user_ns
    shell.run_cell_magic("agent", f"--mode auto --workspace {tmp_path / 'w'}", "hello")
    out = capsys.readouterr().out
    assert "%%agent: the run could not start: ModeError: replay needs a cassette" in out
    assert isinstance(shell.user_ns["wb"], Workbench)


def test_parse_options():
    assert parse_options("--mode replay --workspace='a b'") == {
        "mode": "replay",
        "workspace": "a b",
    }
    assert parse_options("") == {}
    with pytest.raises(ValueError, match="usage"):
        parse_options("--mode")
