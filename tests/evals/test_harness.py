"""The harness itself: hung and crashed tasks, timeouts, bad usage, comparison tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from eval_harness import SUITE, run_eval

from agent_kernel.agent.usage import Usage
from agent_kernel.api.cassette import load_cassette
from agent_kernel.evals import EvalConfig, SuiteError, Variant, load_suite, run_task
from agent_kernel.evals.command import build_variants
from agent_kernel.evals.report import EvalReport, render_markdown, render_terminal, write_report
from agent_kernel.evals.runner import TaskResult
from agent_kernel.evals.scoring import summarise
from agent_kernel.evals.suite import SHARED_CONFTEST, load_task

HANG = "import time\n\n\ndef test_hangs():\n    time.sleep(120)\n"


def copy_task(source: str, suite: Path, new_id: str, *, hidden: bool = True) -> Path:
    """A copy of a suite task under another id (the session still matches its prompt)."""
    target = suite / new_id
    shutil.copytree(SUITE / source / "sessions", target / "sessions")
    if hidden:
        shutil.copytree(SUITE / source / "hidden", target / "hidden")
    else:
        (target / "hidden").mkdir()
    spec = yaml.safe_load((SUITE / source / "task.yaml").read_text(encoding="utf-8"))
    spec["id"] = new_id
    (target / "task.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return target


def test_a_hung_check_and_a_crashed_task_are_reported_and_the_others_go_on(eval_cli, tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copyfile(SUITE / SHARED_CONFTEST, suite / SHARED_CONFTEST)
    hang = copy_task("rest_notes", suite, "hang", hidden=False)
    (hang / "hidden" / "test_functional_hang.py").write_text(HANG, encoding="utf-8")
    broken = copy_task("rest_notes", suite, "broken")
    (broken / "sessions" / "reference.yaml").write_text("turns: [unclosed\n", encoding="utf-8")
    copy_task("validation_signup", suite, "fine")

    run = eval_cli("--suite", str(suite), "--mode", "replay", "--jobs", "2",
                   "--check-timeout", "8", "--json")  # fmt: skip

    assert run.code == 0, run.err
    hung = run.task("hang")
    assert hung["status"] == "timeout" and hung["outcome"] == "timeout"
    assert "timed out after 8s" in hung["error"]
    assert hung["pass"] is False and hung["secure_pass"] is False
    assert hung["run_status"] == "ok" and hung["checks_s"] < 30
    crashed = run.task("broken")
    assert crashed["status"] == "error" and "reference.yaml" in crashed["error"]
    fine = run.task("fine")
    assert fine["status"] == "done" and fine["secure_pass"] is True
    (summary,) = run.payload["variants"]
    assert (summary["timeouts"], summary["errors"], summary["secure_passed"]) == (1, 1, 1)
    assert "TIMEOUT" in run.err and "ERROR" in run.err


def test_an_agent_run_over_the_task_timeout_is_stopped_and_reported(offline):
    (task,) = load_suite(SUITE, ["rest_notes"])
    config = EvalConfig(mode="replay", task_timeout=0.05)
    result = run_task(task, Variant("default"), config)
    assert result.status == "timeout"
    assert "task timeout (0.05s)" in result.error
    assert result.passed is False and result.checks == []
    # The run stopped when asked, so its temporary workspace is gone.
    assert result.workspace is None


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--tasks", "no_such_task"], "unknown task id(s): no_such_task"),
        (["--jobs", "0"], "--jobs must be at least 1"),
        (["--suite", "/nonexistent/suite"], "suite folder not found"),
        (["--mode", "live"], "live mode needs ANTHROPIC_API_KEY"),
        (["--agent", "/nonexistent/agent.md"], "agent definition not found"),
        (["--model", "not a model!"], "not a model id"),
        (["--timeout", "0"], "must be positive"),
        (["--session", "nope"], "no selected task has a scripted session 'nope'"),
    ],
)
def test_bad_usage_exits_2_with_a_message(eval_cli, argv, message):
    run = eval_cli("--mode", "replay", *argv) if "--mode" not in argv else eval_cli(*argv)
    assert run.code == 2
    assert message in run.err
    assert run.out == ""


def test_an_unknown_option_exits_2_and_help_exits_0(offline):
    assert run_eval("--no-such-option").code == 2
    assert run_eval("--help").code == 0


def test_every_session_replays_its_own_task_prompt():
    for task in load_suite(SUITE):
        for name in task.sessions():
            cassette = load_cassette(task.session_path(name))
            assert cassette.scripted, (task.id, name)
            assert " ".join(cassette.prompt.split()) == " ".join(task.prompt.split()), task.id


def test_a_task_folder_must_match_its_id_and_have_functional_checks(tmp_path):
    folder = copy_task("rest_notes", tmp_path, "renamed")
    spec = yaml.safe_load((folder / "task.yaml").read_text(encoding="utf-8"))
    (folder / "task.yaml").write_text(yaml.safe_dump({**spec, "id": "other"}), encoding="utf-8")
    with pytest.raises(SuiteError, match="must equal the folder name"):
        load_task(folder)
    bare = copy_task("rest_notes", tmp_path, "bare", hidden=False)
    with pytest.raises(SuiteError, match="no hidden/test_functional"):
        load_task(bare)


def test_several_models_or_agents_make_one_variant_each(tmp_path):
    labels = [v.label for v in build_variants(["claude-a-1", "claude-b-2"], [])]
    assert labels == ["claude-a-1", "claude-b-2"]
    agents = [tmp_path / "terse.md", tmp_path / "verbose.md"]
    assert [v.label for v in build_variants([], agents)] == ["terse", "verbose"]
    mixed = build_variants(["claude-a-1"], agents)
    assert [v.label for v in mixed] == ["claude-a-1 + terse", "claude-a-1 + verbose"]
    assert [v.label for v in build_variants([], [])] == ["default"]


def _result(task: str, variant: str, passed: bool, secure: bool) -> TaskResult:
    result = TaskResult(task, "rest", task.title(), variant, passed=passed, secure=secure)
    result.run_status, result.turns, result.diff_lines = "ok", 3, 40
    result.usage = Usage(1000, 200, 3000, 500)
    result.cost_usd, result.wall_s = 0.02, 1.5
    return result


def test_a_comparison_table_and_chart_for_two_variants(tmp_path):
    variants = [Variant("model-a", "model-a"), Variant("model-b", "model-b")]
    results = [
        _result("notes", "model-a", True, True),
        _result("auth", "model-a", True, False),
        _result("notes", "model-b", False, False),
        _result("auth", "model-b", True, True),
    ]
    summaries = summarise(results, variants)
    assert [(s.passed, s.secure, s.pass_at_1) for s in summaries] == [(2, 1, 1.0), (1, 1, 0.5)]
    report = EvalReport("suite", "live", "live", 2, results, summaries)
    table = render_terminal(report)
    assert "== comparison" in table and "== model-a" in table and "== model-b" in table
    assert "2/2 100%" in table and "1/2 50%" in table
    markdown = render_markdown(report, "chart.png")
    assert "## Comparison" in markdown and "## Tasks: model-b" in markdown
    md_path, png_path = write_report(report, tmp_path / "out" / "compare.md")
    assert md_path.is_file() and png_path.read_bytes().startswith(b"\x89PNG")


def test_a_broken_task_file_names_its_folder_line_and_column(tmp_path):
    from agent_kernel.evals.suite import load_task

    folder = tmp_path / "broken_task"
    folder.mkdir()
    (folder / "task.yaml").write_text("id: broken\nprompt: [unclosed\n", encoding="utf-8")
    with pytest.raises(SuiteError, match=r"^broken_task/task\.yaml: line 3, column 1: not valid"):
        load_task(folder)


def test_the_report_shows_the_tests_each_run_proved_red_before_green():
    variants = [Variant("model-a", "model-a")]
    proved = _result("notes", "model-a", True, True)
    proved.red_green = [
        {"test": "tests/test_notes.py::test_create", "red": True, "green": True},
        {"test": "tests/test_notes.py::test_404", "red": False, "green": True},
    ]
    results = [proved, _result("auth", "model-a", True, True)]
    report = EvalReport("suite", "live", "live", 1, results, summarise(results, variants))
    markdown = render_markdown(report, "chart.png")
    assert "## Tests proven red before green" in markdown
    assert "| `notes` | model-a | 1 | 1 | 2 | 1 | 0 |" in markdown
    assert (
        "`auth` | model-a"
        not in markdown.split("## Tests proven red before green")[1].split("## Tasks")[0]
    )
    assert TaskResult.from_dict(proved.to_dict()).red_green == proved.red_green
