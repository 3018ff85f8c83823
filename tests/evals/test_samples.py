"""`--samples N` in replay: every run numbered and scored, pass@k as worked out by hand.

Replayed sessions answer the same way every time, so the first two samples of each task are
taken from a real run of the suite's flawed sessions (kept through `--resume`), and only the
third is run here, from the reference sessions: the counts then differ between tasks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_harness import EvalRun, run_eval

TASKS = "rest_notes,auth_jwt"


@pytest.fixture(scope="module")
def three_samples(offline: None, tmp_path_factory: pytest.TempPathFactory) -> EvalRun:
    flawed = run_eval("--mode", "replay", "--tasks", TASKS, "--session", "flawed", "--json")
    assert flawed.code == 0, flawed.err
    payload = flawed.payload
    rows = []
    for row in payload["tasks"]:
        for sample in (1, 2):
            rows.append({**row, "sample": sample})
    payload["tasks"] = rows
    resume = Path(tmp_path_factory.mktemp("resume")) / "report.json"
    resume.write_text(json.dumps(payload), encoding="utf-8")
    return run_eval(
        "--mode", "replay", "--tasks", TASKS, "--samples", "3", "--resume", str(resume), "--json"
    )  # fmt: skip


def test_only_the_missing_samples_ran(three_samples):
    assert three_samples.code == 0, three_samples.err
    assert "4 run(s) kept from" in three_samples.err
    assert three_samples.err.count("[") >= 2 and "#3" in three_samples.err
    tasks = three_samples.payload["tasks"]
    assert sorted((t["task"], t["sample"]) for t in tasks) == [
        ("auth_jwt", 1), ("auth_jwt", 2), ("auth_jwt", 3),
        ("rest_notes", 1), ("rest_notes", 2), ("rest_notes", 3),
    ]  # fmt: skip
    third = [t for t in tasks if t["sample"] == 3]
    assert all(t["session"] == "reference" and t["outcome"] == "secure" for t in third)


def test_pass_at_k_matches_the_values_computed_by_hand(three_samples):
    (summary,) = three_samples.payload["variants"]
    # rest_notes: flawed fails twice, the reference passes: 1 of 3 passes, 1 of 3 secure.
    # auth_jwt: flawed passes but is insecure twice, the reference is secure: 3/3, 1/3.
    # pass@1 = (1/3 + 3/3) / 2;  pass@2 = ((1 - C(2,2)/C(3,2)) + 1) / 2 = (2/3 + 1) / 2
    # secure-pass@1 = (1/3 + 1/3) / 2;  secure-pass@2 = (2/3 + 2/3) / 2;  @3 = 1 for both.
    expected = {"1": 2 / 3, "2": 5 / 6, "3": 1.0}
    expected_secure = {"1": 1 / 3, "2": 2 / 3, "3": 1.0}
    assert summary["samples"] == 3 and summary["scored"] == 6
    for k in ("1", "2", "3"):
        assert summary["pass_at_k"][k]["value"] == pytest.approx(expected[k], abs=1e-4)
        assert summary["secure_pass_at_k"][k]["value"] == pytest.approx(
            expected_secure[k], abs=1e-4
        )
        interval = summary["pass_at_k"][k]
        assert interval["low"] <= interval["value"] <= interval["high"]
    assert summary["pass_at_1"] == pytest.approx(4 / 6, abs=1e-4)
    # One method for every k: tasks resampled, each task's rate from its Beta posterior.
    # The tasks differ (1/3 and 3/3), so the interval is wider than Wilson's for 4 of 6
    # runs taken as one pool ([30%-90%]): the choice of tasks shows in it too.
    from agent_kernel.evals.stats import pass_at_k_interval, wilson

    for k in ("1", "2", "3"):
        method = pass_at_k_interval([(3, 1), (3, 3)], int(k)).to_dict()
        assert summary["pass_at_k"][k] == method
    pooled = wilson(4, 6)
    assert summary["pass_at_k"]["1"]["low"] < pooled.low
    assert summary["pass_at_k"]["3"]["low"] < summary["pass_at_k"]["3"]["value"] == 1.0


def test_costs_and_tokens_are_summed_and_shown_per_sample(three_samples):
    (summary,) = three_samples.payload["variants"]
    runs = three_samples.payload["tasks"]
    assert summary["cost_usd"] == pytest.approx(sum(t["cost_usd"] for t in runs), abs=1e-5)
    assert summary["tokens"]["total"] == sum(t["tokens"]["total"] for t in runs)
    assert summary["per_sample"]["cost_usd"] == pytest.approx(summary["cost_usd"] / 6, abs=1e-5)
    assert summary["per_sample"]["tokens"] == pytest.approx(summary["tokens"]["total"] / 6, 0.01)
    assert "pass@3" in three_samples.err and "cost/sample" in three_samples.err


def test_the_grid_shows_each_task_over_its_samples(three_samples):
    grid = three_samples.payload["grid"]
    assert grid["rest_notes"] == {"default": "1/3 pass, 1/3 secure"}
    assert grid["auth_jwt"] == {"default": "3/3 pass, 1/3 secure"}


def test_two_identical_variants_differ_not_significantly(offline, tmp_path):
    from agent_kernel.agent.definition import load_agent

    source = Path(load_agent(None).path)
    copy = tmp_path / "same-agent.md"
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    run = run_eval(
        "--mode", "replay", "--tasks", "rest_notes", "--agent", str(source),
        "--agent", str(copy), "--samples", "2", "--json", "--report", str(tmp_path / "r.md"),
    )  # fmt: skip
    assert run.code == 0, run.err
    comparisons = run.payload["comparisons"]
    assert {c["metric"] for c in comparisons} == {"pass", "secure"}
    for comparison in comparisons:
        assert comparison["overall"]["value"] == 0.0
        assert comparison["verdict"] == "not significant"
        assert comparison["tasks"][0]["verdict"] == "not significant"
    markdown = (tmp_path / "r.md").read_text(encoding="utf-8")
    for heading in (
        "## pass@k",
        "## Per capability",
        "## Paired differences",
        "## Model-by-task grid",
        "## CWEs found",
    ):
        assert heading in markdown
    assert (tmp_path / "r-capabilities.png").read_bytes().startswith(b"\x89PNG")


def test_resume_refuses_a_file_that_is_not_a_report(offline, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    run = run_eval("--mode", "replay", "--tasks", "rest_notes", "--resume", str(bad))
    assert run.code == 2 and "not a workbench eval JSON report" in run.err
