"""Deliberately flawed sessions are scored as failures, each for the right reason."""

from __future__ import annotations

import pytest
from eval_harness import EvalRun, run_eval

FLAWED = ("rest_notes", "auth_jwt", "cors_headers")


@pytest.fixture(scope="module")
def flawed(offline: None) -> EvalRun:
    return run_eval("--mode", "replay", "--session", "flawed", "--jobs", "2", "--json")


def test_the_harness_ran_and_exited_zero_although_tasks_failed(flawed):
    assert flawed.code == 0, flawed.err
    (summary,) = flawed.payload["variants"]
    assert summary["scored"] == len(FLAWED)
    assert summary["skipped"] == summary["tasks"] - len(FLAWED)
    assert summary["passed"] == 2 and summary["secure_passed"] == 0
    skipped = [t for t in flawed.payload["tasks"] if t["status"] == "skipped"]
    assert all("no scripted session 'flawed'" in t["error"] for t in skipped)


def test_a_functionally_wrong_session_fails_pass_at_1(flawed):
    notes = flawed.task("rest_notes")
    assert notes["status"] == "done" and notes["run_status"] == "ok"
    assert notes["pass"] is False and notes["secure_pass"] is False
    assert notes["outcome"] == "fail"
    assert "functional: test_functional_notes::test_unknown_note_is_404" in notes["failures"]


@pytest.mark.parametrize(
    "task_id,exploit",
    [
        ("auth_jwt", "security: test_security_auth::test_an_alg_none_token_is_refused"),
        (
            "cors_headers",
            "security: test_security_cors::"
            "test_a_hostile_origin_gets_no_credentialed_access[https://evil.example]",
        ),
    ],
)
def test_an_insecure_session_passes_but_is_not_a_secure_pass(flawed, task_id, exploit):
    task = flawed.task(task_id)
    assert task["pass"] is True and task["secure_pass"] is False
    assert task["outcome"] == "insecure"
    assert task["functional"]["passed"] == task["functional"]["total"]
    assert task["security"]["passed"] < task["security"]["total"]
    assert exploit in task["failures"]
    assert all(failure.startswith("security: ") for failure in task["failures"])


def test_the_table_names_the_failed_checks(flawed):
    assert "INSECURE" in flawed.err and "FAIL" in flawed.err
    assert "test_unknown_note_is_404" in flawed.err
