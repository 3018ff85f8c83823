"""Tests proven red before green: new tests against the code before the run, then after."""

from __future__ import annotations

import json

from agent_kernel.history.phr import parse_phr
from agent_kernel.project.workspace import Workspace
from agent_kernel.specs.red_green import changed_test_files, prove, verdict
from agent_kernel.workbench import Workbench

FEATURE = "001-ping"
TASKS = """# Tasks: ping

- [ ] T001 [P] Test the ping route in tests/test_ping.py
- [ ] T002 Add the route in sandbox_app/api/routes/ping.py and sandbox_app/api/router.py
- [ ] T003 [P] Test a route that is not there in tests/test_missing.py
"""
ALREADY = """def test_health_was_always_there(client):
    assert client.get("/api/health").status_code == 200
"""
MISSING = """def test_a_route_nobody_wrote(client):
    assert client.get("/api/missing").status_code == 200
"""
IMPORTS_NEW_MODULE = """from sandbox_app.api.routes.ping import ping


def test_ping_function():
    assert ping() == {"ping": "pong"}
"""


def add_ping(workspace: Workspace, kit) -> None:
    """What the agent's edits do: the route, its wiring, its test."""
    for call in kit.PING_EDITS:
        data = call["input"]
        path = workspace.root / data["path"]
        if data["command"] == "create":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(data["file_text"])
        elif data["command"] == "str_replace":
            text = path.read_text()
            assert data["old_str"] in text
            path.write_text(text.replace(data["old_str"], data["new_str"], 1))
        else:  # insert after line N
            lines = path.read_text().splitlines(keepends=True)
            lines.insert(data["insert_line"], data["insert_text"])
            path.write_text("".join(lines))


def test_proven_flagged_and_failing_tests_are_told_apart(tmp_path, kit):
    workspace = Workspace.create(tmp_path / "ws")
    before = workspace.digests()
    add_ping(workspace, kit)
    (workspace.root / "tests" / "test_already.py").write_text(ALREADY)
    (workspace.root / "tests" / "test_missing.py").write_text(MISSING)
    (workspace.root / "tests" / "test_import.py").write_text(IMPORTS_NEW_MODULE)
    files = changed_test_files(workspace, before)
    assert files == [
        "tests/test_already.py",
        "tests/test_import.py",
        "tests/test_missing.py",
        "tests/test_ping.py",
    ]
    entries = {e.test: e for e in prove(workspace, files, timeout=120)}
    proven = entries["tests/test_ping.py::test_ping"]
    assert proven.red and proven.green and proven.proven
    flagged = entries["tests/test_already.py::test_health_was_always_there"]
    assert not flagged.red and flagged.green
    failing = entries["tests/test_missing.py::test_a_route_nobody_wrote"]
    assert failing.red and not failing.green
    # a test file that cannot even import against the old code is red there, and the others
    # in the same run still ran
    imported = entries["tests/test_import.py::test_ping_function"]
    assert imported.red and imported.green
    state, passed_before, fail_after = verdict(list(entries.values()))
    assert state == "red"
    assert passed_before == ["tests/test_already.py::test_health_was_always_there"]
    assert fail_after == ["tests/test_missing.py::test_a_route_nobody_wrote"]
    # the before-tree was made inside the workspace's records and is gone
    assert not list((workspace.root / ".workbench").glob("red-green-*"))
    assert workspace.changed_files() == [
        "sandbox_app/api/router.py",
        "sandbox_app/api/routes/ping.py",
        *files,
    ]


def test_the_before_tree_is_the_snapshot_not_the_code_of_now(tmp_path, kit):
    """Against the code as it is, every test passes; only the old code makes them red."""
    workspace = Workspace.create(tmp_path / "ws")
    add_ping(workspace, kit)
    [entry] = prove(workspace, ["tests/test_ping.py"], timeout=120)
    assert entry.red and entry.green
    # without the route the test is red after too
    (workspace.root / "sandbox_app/api/router.py").write_text(
        (workspace.baseline_dir / "sandbox_app/api/router.py").read_text()
    )
    [entry] = prove(workspace, ["tests/test_ping.py"], timeout=120)
    assert entry.red and not entry.green


def implement_workbench(tmp_path, kit, script, extra_test: str | None = None) -> Workbench:
    edits = list(kit.PING_EDITS)
    checks = [{"description": "ping answers pong", "test": kit.PING_TEST}]
    if extra_test:
        edits.append(kit.edit("create", "tests/test_missing.py", file_text=extra_test))
        checks.append({"description": "missing route", "test": "tests/test_missing.py"})
    turns = [
        {"text": "Tests first, then the route.", "tool_calls": edits},
        kit.submit(
            acceptance_checks=checks,
            phr={"stage": "green", "feature": "ping", "title": "Implement the ping route"},
        ),
    ]
    cassette = script(turns, prompt="/sp.implement")
    wb = Workbench(
        workspace=tmp_path / "ws", history=tmp_path / "h", mode="replay", cassette=cassette
    )
    feature = wb.workspace.root / "specs" / FEATURE
    feature.mkdir(parents=True)
    for name in ("spec.md", "plan.md"):
        (feature / name).write_text(f"# {name}\n")
    (feature / "tasks.md").write_text(TASKS)
    return wb


def test_implement_proves_its_tests_and_ticks_their_tasks(tmp_path, kit, script, fake_checks):
    wb = implement_workbench(tmp_path, kit, script)
    result = wb.implement()
    assert result.status == "ok", result.reason
    assert result.red_green == [{"test": kit.PING_TEST, "red": True, "green": True}]
    tasks = (wb.workspace.root / "specs" / FEATURE / "tasks.md").read_text()
    assert "- [X] T001 [P] Test the ping route" in tasks
    assert "- [ ] T002 Add the route" in tasks and "- [ ] T003" in tasks
    assert result.stage["ticked"] == ["T001"] and result.stage["phr_stage"] == "green"
    assert f"specs/{FEATURE}/tasks.md" in result.files_changed
    phr = parse_phr(result.phr_path)
    assert result.phr_path.name.endswith(".green.prompt.md")
    assert phr["front_matter"]["red_green"] == result.red_green
    assert phr["front_matter"]["links"]["spec"] == f"specs/{FEATURE}/spec.md"
    assert "red/green: 1/1 proven" in phr["outcome"]["tests_summary"]
    assert json.loads(result.to_json())["red_green"] == result.red_green


def test_a_test_failing_after_the_run_fails_it(tmp_path, kit, script, fake_checks):
    wb = implement_workbench(tmp_path, kit, script, extra_test=MISSING)
    result = wb.implement()
    assert result.status == "incomplete"
    assert "1 test(s) fail after the run: tests/test_missing.py::test_a_route_nobody_wrote" in (
        result.reason
    )
    assert result.stage["phr_stage"] == "red" and result.contract.phr.stage == "red"
    assert result.phr_path.name.endswith(".red.prompt.md")
    tasks = (wb.workspace.root / "specs" / FEATURE / "tasks.md").read_text()
    assert "- [X] T001" in tasks and "- [ ] T003" in tasks


def test_any_run_proves_the_new_tests_its_contract_names(tmp_path, kit, script, fake_checks):
    cassette = script(kit.ping_turns())
    wb = Workbench(
        workspace=tmp_path / "ws", history=tmp_path / "h", mode="replay", cassette=cassette
    )
    (wb.workspace.root / "tests" / "test_already.py").write_text(ALREADY)  # not the run's
    result = wb.run(kit.PROMPT)
    assert result.status == "ok", result.reason
    assert result.red_green == [{"test": kit.PING_TEST, "red": True, "green": True}]
    assert result.stage is None


def test_a_test_that_passed_before_is_flagged(tmp_path, kit, script, fake_checks):
    turns = [
        {"tool_calls": [kit.edit("create", "tests/test_already.py", file_text=ALREADY)]},
        kit.submit(acceptance_checks=[{"description": "health", "test": "tests/test_already.py"}]),
    ]
    wb = Workbench(
        workspace=tmp_path / "ws", history=tmp_path / "h", mode="replay", cassette=script(turns)
    )
    result = wb.run(kit.PROMPT)
    assert result.status == "ok"
    assert result.red_green == [
        {"test": "tests/test_already.py::test_health_was_always_there", "red": False, "green": True}
    ]
    assert "1 test(s) passed before the run too, so they prove nothing" in result.reason
