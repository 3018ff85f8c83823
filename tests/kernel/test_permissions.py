"""Permission modes: plan writes nothing, ask waits for each edit, nobody to approve ends."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from agent_kernel.terminal.cli import main
from agent_kernel.tools.permissions import PLAN_REFUSAL, accept_plan_prompt
from agent_kernel.workbench import Workbench

ROUTER = "sandbox_app/api/router.py"
PLAN = "A ping router at /api/ping with its test; the API router includes it."


def cassette(directory: Path, kit, prompts: list[tuple[str, list]], name: str) -> Path:
    data = {
        "source": "scripted",
        "model": kit.MODEL,
        "date": "2026-12-02",
        "prompts": [{"prompt": p, "turns": t} for p, t in prompts],
    }
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def workbench(tmp_path: Path, path: Path, **options) -> Workbench:
    return Workbench(
        workspace=tmp_path / "ws",
        history=tmp_path / "history",
        mode="replay",
        cassette=path,
        display=False,
        **options,
    )


def tool_results(request: dict) -> list[dict]:
    return [b for b in request["messages"][-1]["content"] if b.get("type") == "tool_result"]


def test_plan_mode_writes_nothing_and_accept_plan_carries_it_out(
    tmp_path, cassettes, fake_checks, kit
):
    plan_turns = [
        {"text": "Reading first.", "tool_calls": [kit.edit("view", ROUTER)]},
        {"text": "The change I propose.", "tool_calls": kit.PING_EDITS},
        kit.submit(artifact_summary=PLAN),
    ]
    path = cassette(
        cassettes,
        kit,
        [(kit.PROMPT, plan_turns), (accept_plan_prompt(PLAN), kit.ping_turns()[1:])],
        "plan",
    )
    wb = workbench(tmp_path, path, permission_mode="plan")
    before = wb.workspace.read_text(ROUTER)

    planned = wb.run(kit.PROMPT)
    assert planned.status == "ok", planned.reason
    assert "plan proposed (4 edit(s), nothing written)" in planned.reason
    assert planned.files_changed == [] and wb.workspace.read_text(ROUTER) == before
    assert [p["command"] for p in planned.plan] == ["create", "str_replace", "insert", "create"]
    assert "+from .routes import health, ping" in planned.plan[1]["diff"]
    refusals = tool_results(wb.handle.replay.requests[2])
    assert all(r["is_error"] for r in refusals)
    assert refusals[0]["content"].startswith(PLAN_REFUSAL.split("{")[0])
    assert planned.contract.artifact_summary == PLAN
    assert fake_checks.calls == []  # a plan's checks run when it is carried out

    done = wb.accept_plan()
    assert done.status == "ok", done.reason
    assert done.permission_mode == "accept-edits"
    assert sorted(done.files_changed) == kit.PING_FILES
    assert done.session_id == planned.session_id


def test_ask_mode_rejection_reaches_the_model_and_leaves_the_file(
    tmp_path, cassettes, fake_checks, kit
):
    wrong = kit.edit(
        "str_replace", ROUTER, old_str="from .routes import health\n", new_str="import ping\n"
    )
    right = kit.edit(
        "str_replace",
        ROUTER,
        old_str="from .routes import health\n",
        new_str="from .routes import health, ping\n",
    )
    turns = [
        {"text": "Importing the route.", "tool_calls": [wrong]},
        {"text": "Corrected, as asked.", "tool_calls": [right]},
        kit.submit(),
    ]
    path = cassette(cassettes, kit, [(kit.PROMPT, turns)], "ask")
    reason = "keep the relative import from .routes"
    wb = workbench(tmp_path, path, permission_mode="ask")
    before = wb.workspace.read_text(ROUTER)

    result = wb.run(kit.PROMPT, approvals=[f"reject: {reason}", "approve"])

    [rejected] = tool_results(wb.handle.replay.requests[1])
    assert rejected["is_error"] is True and reason in rejected["content"]
    assert "the file is unchanged" in rejected["content"]
    assert result.tool_trace[0].is_error and result.tool_trace[1].is_error is False
    after = wb.workspace.read_text(ROUTER)
    assert after == before.replace("health\n", "health, ping\n", 1)  # only the approved edit
    assert "import ping\n" not in after.replace("health, ping", "")
    assert [a["approved"] for a in result.approvals] == [False, True]
    assert result.status == "ok", result.reason


def test_ask_mode_with_nobody_to_approve_ends_incomplete(tmp_path, cassettes, fake_checks, kit):
    path = cassette(cassettes, kit, [(kit.PROMPT, kit.ping_turns())], "nobody")
    wb = workbench(tmp_path, path, permission_mode="ask")
    result = wb.run(kit.PROMPT)
    assert result.status == "incomplete"
    assert "nobody was there to approve the create of sandbox_app/api/routes/ping.py" in (
        result.reason
    )
    assert result.files_changed == []
    assert result.phr_path is not None and result.phr_path.is_file()


def test_cli_permission_mode_and_sessions(tmp_path, cassettes, fake_checks, kit, capsys):
    path = cassette(cassettes, kit, [(kit.PROMPT, kit.ping_turns())], "cli")
    common = ["--mode", "replay", "--cassette", str(path), "--history", str(tmp_path / "h")]
    code = main(["run", kit.PROMPT, *common, "--workspace", str(tmp_path / "ws"),
                 "--permission-mode", "ask", "--json"])  # fmt: skip
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 1 and out["status"] == "incomplete"  # stdin is no terminal: nobody
    assert "nobody was there to approve" in out["reason"]

    code = main(["run", kit.PROMPT, *common, "--workspace", str(tmp_path / "ws2"), "--json"])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, out["reason"]
    assert main(["sessions"]) == 0
    listing = capsys.readouterr().out
    assert out["session_id"] in listing and "Add a GET /api/ping" in listing

    code = main(["run", kit.PROMPT, *common, "--resume", "20200101-000000-000000"])
    assert code == 2
    assert "no session '20200101-000000-000000'" in capsys.readouterr().err


def test_the_terminal_answers_y_n_and_e_with_a_reason(monkeypatch, capsys):
    import io

    from agent_kernel.terminal import sessions
    from agent_kernel.tools.permissions import EditProposal

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    proposal = EditProposal("create", "app.py", "+print('hi')\n", {})
    answers = iter(["maybe", "e", "keep it in main.py", "y", "n"])
    monkeypatch.setattr(sessions.sys, "stdin", Tty())
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(answers))
    edited = sessions.cli_approval(proposal)
    assert (edited.approved, edited.reason) == (False, "keep it in main.py")
    assert sessions.cli_approval(proposal).approved is True
    assert sessions.cli_approval(proposal).approved is False
    assert "+print('hi')" in capsys.readouterr().out  # the diff is shown before the question

    monkeypatch.setattr(sessions.sys, "stdin", io.StringIO())  # no terminal: nobody
    assert sessions.cli_approval(proposal) is None
    given = sessions.approver_for("ask", ["reject: not now"])
    assert given(proposal).reason == "not now" and given(proposal) is None
