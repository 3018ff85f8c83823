"""submit_result: the contract is validated, and its acceptance checks really run."""

from pathlib import Path

import pytest

from agent_kernel.contract import ExecutionContract
from agent_kernel.project.workspace import Workspace
from agent_kernel.tools import (
    AskUserTool,
    CheckResult,
    InspectApiTool,
    RunTestsTool,
    SubmitResultTool,
    TextEditorTool,
    default_tools,
)
from agent_kernel.tools.base import ToolContext, ToolError

tool = SubmitResultTool()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(workspace=Workspace.create(tmp_path / "ws"), test_timeout=60)


def contract(**overrides) -> dict:
    data = {
        "surface_and_success": "GET /api/health answers 200 with the database status",
        "constraints": ["no new dependencies"],
        "invariants": ["the health route stays unauthenticated"],
        "non_goals": ["metrics"],
        "artifact_summary": "Baseline health route, unchanged.",
        "acceptance_checks": [
            {"description": "health answers 200 and reachable", "test": "tests/test_health.py"},
        ],
        "follow_ups_and_risks": ["add a readiness probe"],
        "decisions": [],
        "phr": {"stage": "green", "feature": "health", "title": "Check the health route"},
    }
    data.update(overrides)
    return data


def test_definition_uses_the_contract_schema():
    definition = tool.definition()
    assert definition["name"] == "submit_result"
    assert definition["input_schema"] == ExecutionContract.model_json_schema()
    assert "ENDS THE RUN" in definition["description"]


def test_invalid_contract_lists_every_error(ctx):
    bad = contract(
        surface_and_success="Two sentences. Not allowed",
        acceptance_checks=[],
        follow_ups_and_risks=["a", "b", "c", "d"],
        phr={"stage": "later", "title": "Too short"},
        surprise="extra field",
    )
    del bad["artifact_summary"]
    with pytest.raises(ToolError) as info:
        tool(bad, ctx)
    message = str(info.value)
    assert message.startswith("The contract is invalid (")
    assert "call submit_result again" in message
    lines = [line for line in message.splitlines() if line.startswith("- ")]
    fields = {line[2:].split(":")[0] for line in lines}
    assert fields == {
        "surface_and_success",
        "artifact_summary",
        "acceptance_checks",
        "follow_ups_and_risks",
        "phr.stage",
        "phr.title",
        "surprise",
    }
    assert "- phr.title: Value error, title must have 3-7 words, got 2" in lines
    assert "- artifact_summary: Field required" in lines
    assert "contract" not in ctx.extra and "check_results" not in ctx.extra


def test_nested_error_paths_include_list_indexes(ctx):
    bad = contract(acceptance_checks=[{"description": "ok check", "test": ""}])
    with pytest.raises(ToolError, match=r"- acceptance_checks\.0\.test: "):
        tool(bad, ctx)


def test_valid_contract_runs_its_checks_for_real(ctx):
    (ctx.workspace.root / "tests/test_extra.py").write_text(
        "def test_passes():\n    pass\n\ndef test_fails():\n    assert 2 + 2 == 5\n"
    )
    data = contract(
        acceptance_checks=[
            {"description": "health answers 200 and reachable", "test": "tests/test_health.py"},
            {"description": "a passing node", "test": "tests/test_extra.py::test_passes"},
            {"description": "a failing node", "test": "tests/test_extra.py::test_fails"},
            {"description": "a missing test file", "test": "tests/test_missing.py"},
            {"description": "a test outside the workspace", "test": "../elsewhere.py"},
        ]
    )
    out = tool(data, ctx)
    assert out.splitlines() == [
        "Contract accepted. Acceptance checks: 2/5 passed.",
        "[PASS] health answers 200 and reachable (tests/test_health.py)",
        "[PASS] a passing node (tests/test_extra.py::test_passes)",
        "[FAIL] a failing node (tests/test_extra.py::test_fails)",
        "[FAIL] a missing test file (tests/test_missing.py)",
        "[FAIL] a test outside the workspace (../elsewhere.py)",
    ]
    stored = ctx.extra["contract"]
    assert isinstance(stored, ExecutionContract)
    assert stored.phr.title == "Check the health route"
    results = ctx.extra["check_results"]
    assert all(isinstance(result, CheckResult) for result in results)
    assert [r.passed for r in results] == [True, True, False, False, False]
    assert results[0].test == "tests/test_health.py"
    assert "1 passed" in results[0].output_tail
    assert "assert (2 + 2) == 5" in results[2].output_tail
    assert "does not exist" in results[3].output_tail
    assert "outside the workspace" in results[4].output_tail


def test_checks_see_the_workspace_changes(ctx):
    health = ctx.workspace.root / "sandbox_app/api/routes/health.py"
    health.write_text(health.read_text().replace('"reachable"', '"unknown"'))
    out = tool(contract(), ctx)
    assert out.splitlines()[0] == "Contract accepted. Acceptance checks: 0/1 passed."
    assert ctx.extra["check_results"][0].passed is False


def test_default_tools_order_and_names():
    tools = default_tools()
    assert [type(t) for t in tools] == [
        TextEditorTool,
        RunTestsTool,
        InspectApiTool,
        AskUserTool,
        SubmitResultTool,
    ]
    assert [t.name for t in tools] == [
        "str_replace_based_edit_tool",
        "run_tests",
        "inspect_api",
        "ask_user",
        "submit_result",
    ]
    for t in tools[1:]:
        definition = t.definition()
        assert set(definition) == {"name", "description", "input_schema"}
        assert definition["name"] == t.name and len(definition["description"]) > 80
        assert definition["input_schema"]["type"] == "object"


def test_checks_share_one_pytest_run_and_are_judged_per_node(ctx, monkeypatch):
    from agent_kernel.tools import submit_result

    (ctx.workspace.root / "tests/test_extra.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('n', [1, 2])\ndef test_param(n):\n    assert n > 0\n\n"
        "def test_skipped():\n    pytest.skip('not today')\n"
    )
    calls = []
    real = submit_result.run_pytest
    monkeypatch.setattr(
        submit_result, "run_pytest", lambda *a, **k: calls.append(a[1:]) or real(*a, **k)
    )
    data = contract(
        acceptance_checks=[
            {"description": "every parameter passes", "test": "tests/test_extra.py::test_param"},
            {"description": "one parameter", "test": "tests/test_extra.py::test_param[2]"},
            {
                "description": "a skipped test is no pass",
                "test": "tests/test_extra.py::test_skipped",
            },
            {"description": "health", "test": "tests/test_health.py"},
        ]
    )
    tool(data, ctx)
    results = ctx.extra["check_results"]
    assert [r.passed for r in results] == [True, True, False, True]
    assert "2 passed" in results[0].output_tail
    assert "1 skipped" in results[2].output_tail
    assert len(calls) == 1  # one pytest process for the four checks


def test_an_unknown_node_id_falls_back_to_one_run_per_check(ctx):
    data = contract(
        acceptance_checks=[
            {"description": "health", "test": "tests/test_health.py"},
            {"description": "no such test", "test": "tests/test_health.py::test_nope"},
        ]
    )
    tool(data, ctx)
    assert [r.passed for r in ctx.extra["check_results"]] == [True, False]


def count_pytest_processes(monkeypatch) -> list[tuple]:
    from agent_kernel.project import pytest_run

    calls: list[tuple] = []
    real = pytest_run.run_pytest_process
    monkeypatch.setattr(
        pytest_run, "run_pytest_process", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    return calls


def test_checks_reuse_the_last_run_tests_run_when_nothing_changed(ctx, monkeypatch):
    calls = count_pytest_processes(monkeypatch)
    RunTestsTool()({}, ctx)
    checks = [{"description": "health", "test": "tests/test_health.py"}]
    tool(contract(acceptance_checks=checks), ctx)

    [result] = ctx.extra["check_results"]
    assert result.passed
    assert "judged from the last run_tests run; no file changed since" in result.output_tail
    assert len(calls) == 1


def test_checks_run_again_after_an_edit_or_for_a_test_the_last_run_missed(ctx, monkeypatch):
    calls = count_pytest_processes(monkeypatch)
    checks = [{"description": "health", "test": "tests/test_health.py"}]
    RunTestsTool()({}, ctx)
    health = ctx.workspace.root / "tests/test_health.py"
    health.write_text(health.read_text() + "\n\ndef test_now_broken():\n    assert False\n")
    tool(contract(acceptance_checks=checks), ctx)
    [edited] = ctx.extra["check_results"]
    assert not edited.passed and "one pytest run for all checks" in edited.output_tail

    (ctx.workspace.root / "tests/test_other.py").write_text("def test_other():\n    pass\n")
    RunTestsTool()({"target": "tests/test_other.py"}, ctx)
    tool(contract(acceptance_checks=checks), ctx)  # the last run did not cover the health tests
    [missed] = ctx.extra["check_results"]
    assert not missed.passed and "one pytest run for all checks" in missed.output_tail
    assert len(calls) == 4
