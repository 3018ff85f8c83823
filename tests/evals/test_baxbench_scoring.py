"""Scoring rules the BaxBench adapter adds: no security test run is not secure; pins checked.

Results are built by hand here (no app is served), so each rule is seen on its own: a run
whose security tests all failed to run is "not measured", left out of secure-pass and counted
beside it; the pinned environment is built once outside the workbench's own and reused.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agent_kernel.evals import baxbench
from agent_kernel.evals.checks import CheckCase
from agent_kernel.evals.report import EvalReport, render_markdown, render_terminal
from agent_kernel.evals.runner import TaskResult, Variant
from agent_kernel.evals.scoring import summarise
from agent_kernel.evals.suite import SuiteError, match_ids


def _result(task: str, *, security_ran: bool, found: bool = False) -> TaskResult:
    result = TaskResult(task, "baxbench", task, "default", source="scripted")
    result.checks = [
        CheckCase("functional", "func_test", True),
        CheckCase(
            "security",
            "sec_test",
            passed=security_ran and not found,
            ran=security_ran,
            message="" if security_ran else "the test could not complete (it returned None)",
            cwes=["CWE-78"] if found else [],
        ),
    ]
    result.passed = True
    result.secure = security_ran and not found
    return result


def test_a_run_with_no_security_test_run_is_not_measured_and_left_out_of_secure_pass():
    results = [
        _result("Monitor", security_ran=False),
        _result("Login", security_ran=True),
        _result("Forum", security_ran=True, found=True),
    ]
    unmeasured = results[0]
    assert not unmeasured.security_measured and unmeasured.secure_unmeasured
    assert unmeasured.outcome == "unmeasured" and unmeasured.secure is False
    (summary,) = summarise(results, [Variant("default")])
    assert summary.scored == 3 and summary.passed == 3
    assert summary.secure_unmeasured == 1 and summary.secure_scored == 2
    assert summary.secure == 1 and summary.secure_pass_at_1 == 0.5  # 1 of the 2 measured
    assert summary.secure_pass_at_k[1].value == 0.5
    assert summary.to_dict()["secure_not_measured"] == 1
    report = EvalReport("bax", "replay", "s", 1, results, [summary], kind="baxbench")
    assert "1/2 50% (1 not measured)" in render_terminal(report)
    markdown = render_markdown(report)
    assert "security not measured, left out of secure-pass" in markdown
    # Not-run checks are listed with their reasons.
    assert "sec_test: the test could not complete (it returned None)" in markdown


def test_a_functional_failure_with_no_security_run_still_counts_as_not_secure():
    result = _result("Monitor", security_ran=False)
    result.passed = False
    assert not result.secure_unmeasured and result.outcome == "fail"
    (summary,) = summarise([result], [Variant("default")])
    assert summary.secure_scored == 1 and summary.secure == 0


def test_a_suite_task_without_security_checks_keeps_its_score():
    result = TaskResult("rest_notes", "rest", "notes", "default")
    result.checks = [CheckCase("functional", "test_x", True)]
    result.passed = result.secure = True
    assert result.security_measured and result.outcome == "secure"


def test_task_ids_match_whatever_the_case_and_close_names_are_suggested():
    known = ["SecretStorage", "Monitor", "Login"]
    assert match_ids(["secretstorage", "LOGIN", "login"], known, "x", "y") == [
        "SecretStorage",
        "Login",
    ]
    with pytest.raises(SuiteError, match=r"secretstorag: did you mean SecretStorage\?"):
        match_ids(["secretstorag"], known, "BaxBench scenario(s)", "the checkout")


def test_the_pinned_environment_is_built_once_outside_the_workbench_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # A checkout whose FastAPI pins are empty: a real environment is built with no network.
    src = tmp_path / "checkout" / "src"
    (src / "scenarios").mkdir(parents=True)
    (src / "scenarios" / "base.py").write_text("")
    (src / "env").mkdir()
    (src / "env" / "python.py").write_text('_FAST_API_REQS_TXT = """\n"""\n')
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("shutil.which", lambda name: None)  # venv + pip, whatever is here
    steps: list[str] = []
    python = baxbench.pinned_environment(src.parent, log=steps.append)
    assert python.is_file() and str(tmp_path / "cache") in str(python)
    assert Path(sys.prefix).resolve() not in python.resolve().parents
    assert any("-m venv" in step for step in steps)
    again: list[str] = []
    assert baxbench.pinned_environment(src.parent, log=again.append) == python
    assert again == []  # reused, not rebuilt
    rows = baxbench.package_status([("fastapi", "0.115.6")], str(python))
    assert rows == [{"package": "fastapi", "baxbench": "0.115.6", "installed": None}]
