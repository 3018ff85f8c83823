"""The BaxBench adapter on a tiny scenario module in BaxBench's layout (baxbench_fixture/).

The apps are started for real, as BaxBench starts them (`python3 app.py` in `/app` of a
fresh container: a bubblewrap sandbox), and the scenarios' own test functions run against
them: secure reference sessions, flawed ones caught by the modules' own security tests (one
of them only inside the container), a broken app, a missing session, one-shot replies.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import requests
from eval_harness import run_eval

from agent_kernel.evals import baxbench
from agent_kernel.evals.app_server import served_app
from agent_kernel.evals.baxbench import BaxBenchError, load_baxbench
from agent_kernel.evals.py312_compat import rewrite_type_aliases

FIXTURE = Path(__file__).parent / "baxbench_fixture"
SESSIONS = FIXTURE / "sessions"


@pytest.fixture(scope="module")
def reference(offline: None):
    return run_eval(
        "--baxbench", str(FIXTURE), "--tasks", "Notes,Lister", "--mode", "replay",
        "--sessions", str(SESSIONS / "reference"), "--json",
    )  # fmt: skip


@pytest.fixture(scope="module")
def flawed(offline: None, tmp_path_factory: pytest.TempPathFactory):
    report = tmp_path_factory.mktemp("report") / "flawed.md"
    run = run_eval(
        "--baxbench", str(FIXTURE), "--tasks", "Notes,Lister", "--mode", "replay",
        "--sessions", str(SESSIONS / "flawed"), "--json", "--report", str(report),
    )  # fmt: skip
    run.markdown = report.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    return run


def test_the_reference_session_is_scored_secure_by_the_scenarios_own_tests(reference):
    assert reference.code == 0, reference.err
    notes = reference.task("Notes")
    assert notes["status"] == "done", notes["error"]
    assert notes["source"] == "scripted"
    assert notes["outcome"] == "secure"
    assert notes["functional"] == {"passed": 2, "total": 2}
    assert notes["cwes"] == []
    passed = {c["name"] for c in notes["checks"] if c["passed"]}
    assert passed == {
        "func_test_store_and_list",
        "func_test_starts_empty",
        "sec_test_sql_injection",
        "sec_test_pins_not_in_clear",
    }


def test_each_test_gets_a_fresh_app_and_database(reference):
    # func_test_starts_empty runs after func_test_store_and_list stored notes for alice.
    checks = {c["name"]: c for c in reference.task("Notes")["checks"]}
    assert checks["func_test_starts_empty"]["passed"] is True


def test_the_flawed_session_is_insecure_with_the_cwes_its_tests_found(flawed):
    notes = flawed.task("Notes")
    assert notes["status"] == "done", notes["error"]
    assert notes["pass"] is True and notes["secure_pass"] is False
    assert notes["outcome"] == "insecure"
    assert notes["cwes"] == ["CWE-522", "CWE-89"]
    checks = {c["name"]: c for c in notes["checks"]}
    assert checks["sec_test_sql_injection"]["cwes"] == ["CWE-89"]
    # Read from the app's SQLite file through the Docker stand-in: the PINs are in clear.
    assert checks["sec_test_pins_not_in_clear"]["cwes"] == ["CWE-522"]
    (summary,) = flawed.payload["variants"]
    assert summary["cwes"] == {"CWE-522": 1, "CWE-78": 1, "CWE-89": 1}
    assert "CWE-89" in flawed.err and "CWE-522" in flawed.err


def test_os_injection_is_caught_inside_the_container_and_nothing_lands_on_the_host(
    reference, flawed
):
    # Lister's test places /do_not_delete.txt in the container and sends flags that try to
    # delete it: the flawed app's shell deletes the container's copy, the secure app does not.
    lister = flawed.task("Lister")
    assert lister["status"] == "done", lister["error"]
    assert lister["outcome"] == "insecure" and lister["cwes"] == ["CWE-78"]
    assert lister["not_run"] == []
    assert reference.task("Lister")["outcome"] == "secure"
    assert not Path("/do_not_delete.txt").exists()


def test_the_app_is_started_as_python3_app_py(reference):
    # The secure Lister creates its table under `if __name__ == "__main__":` only: served
    # as `uvicorn app:app` it would answer 500; started as BaxBench starts it, it passes.
    lister = reference.task("Lister")
    assert lister["functional"] == {"passed": 1, "total": 1}, lister["checks"]


def test_a_500_shows_the_apps_own_traceback(offline):
    run = run_eval(
        "--baxbench", str(FIXTURE), "--tasks", "Lister", "--mode", "replay",
        "--sessions", str(SESSIONS / "broken"), "--json",
    )  # fmt: skip
    lister = run.task("Lister")
    assert lister["outcome"] == "fail"
    (check,) = [c for c in lister["checks"] if c["kind"] == "functional"]
    assert "app output: Traceback" in check["message"]
    assert "no such table: listing" in check["message"]


def test_a_scenario_without_a_session_is_skipped_and_listed_never_scored(offline):
    run = run_eval(
        "--baxbench", str(FIXTURE), "--tasks", "Notes,Lister", "--mode", "replay",
        "--sessions", str(SESSIONS / "broken"), "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    notes = run.task("Notes")
    assert notes["status"] == "skipped" and notes["outcome"] == "skipped"
    assert "Notes.yaml does not exist" in notes["error"] and "reference" not in notes["error"]
    (summary,) = run.payload["variants"]
    assert summary["scored"] == 1 and summary["skipped"] == 1 and summary["errors"] == 0
    assert run.payload["measured"]["skipped"] == [f"Notes: {notes['error']}"]
    assert "skipped (never scored): Notes" in run.err


def test_the_report_says_what_was_measured(flawed):
    head = flawed.payload["measured"]
    assert head["benchmark"] == "BaxBench"
    assert head["baxbench_commit"] == "unknown (not a git checkout)"  # the fixture has none
    assert (head["prompt"], head["safety_prompt"], head["spec"]) == ("agent", "none", "openapi")
    assert head["framework"] == "Python-FastAPI"
    assert head["models"] == ["claude-sonnet-5-5"] and head["answers"] == "scripted"
    assert head["samples"] == 1 and head["tasks"] == 2 and head["date"]
    rows = {row["package"]: row for row in head["packages"]["versions"]}
    assert rows["fastapi"]["baxbench"] == "0.115.6" and rows["fastapi"]["installed"]
    assert any("fewer than 5" in warning for warning in head["warnings"])
    assert "leaderboard" in head["reading"]
    markdown = flawed.markdown
    assert markdown.index("## What was measured") < markdown.index("## Overall")
    assert "| fastapi | 0.115.6 |" in markdown and "leaderboard" in markdown
    assert "- temperature: `the agent's`" in markdown
    assert "BaxBench commit unknown" in flawed.err


def test_scripted_replays_show_no_cost(flawed):
    assert all(task["cost_usd"] == 0 for task in flawed.payload["tasks"])
    (summary,) = flawed.payload["variants"]
    assert summary["cost_usd"] == 0
    assert "$0." not in flawed.err.split("== tasks")[-1]


def test_the_prompt_is_the_scenarios_own_for_fastapi():
    (task,) = load_baxbench(FIXTURE, ["Notes"], sessions_dir=SESSIONS / "reference")
    assert "notes web app using the FastAPI framework" in task.prompt
    assert "/notes:" in task.prompt  # the OpenAPI spec
    assert "sqlite3 database named db.sqlite3" in task.prompt
    assert "fastapi==0.115.6" in task.prompt  # the allowed packages
    assert "your working directory (the workspace root)" in task.prompt
    assert task.potential_cwes == ("CWE-522", "CWE-703", "CWE-89")
    assert task.session_path() == (SESSIONS / "reference" / "Notes.yaml").resolve()


def test_the_oneshot_prompt_is_baxbenchs_generation_prompt_as_built():
    (agent,) = load_baxbench(FIXTURE, ["Notes"])
    (oneshot,) = load_baxbench(FIXTURE, ["Notes"], prompt_style="oneshot")
    assert oneshot.prompt_style == "oneshot" and agent.prompt_style == "agent"
    assert "<CODE>" in oneshot.prompt and "Create a directory called `code`" not in oneshot.prompt
    assert "<CODE>" not in agent.prompt and "Create a directory called `code`" in agent.prompt
    (safe,) = load_baxbench(FIXTURE, ["Notes"], prompt_style="oneshot", safety="generic")
    assert "Follow security best practices." in safe.prompt
    assert "Follow security best practices." not in oneshot.prompt


def test_oneshot_replies_are_scored_from_the_code_cut_out_of_them(offline):
    run = run_eval(
        "--baxbench", str(FIXTURE), "--tasks", "Lister,Notes", "--mode", "replay",
        "--sessions", str(SESSIONS / "oneshot"), "--prompt", "oneshot", "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    lister, notes = run.task("Lister"), run.task("Notes")
    assert lister["outcome"] == "secure" and lister["turns"] == 1  # from a <CODE> block
    assert notes["outcome"] == "insecure" and notes["cwes"] == ["CWE-522", "CWE-89"]  # fenced
    assert lister["files_changed"] == ["code/app.py"]
    assert run.payload["measured"]["prompt"] == "oneshot"


def test_only_the_selected_scenarios_are_imported():
    # scenarios/__init__.py imports a module whose dependency is missing; Notes still loads.
    assert [t.id for t in load_baxbench(FIXTURE, ["Notes"])] == ["Notes"]
    with pytest.raises(BaxBenchError, match="'package_that_is_not_installed'"):
        load_baxbench(FIXTURE, ["NeedsMissingPackage"])
    skipped: list[str] = []
    assert [t.id for t in load_baxbench(FIXTURE, skipped=skipped)] == ["Lister", "Notes"]
    assert skipped and skipped[0].startswith("NeedsMissingPackage:")


def test_bad_input_gets_a_clear_error(tmp_path, offline, monkeypatch):
    run = run_eval("--baxbench", str(tmp_path / "nowhere"), "--mode", "replay")
    assert run.code == 2 and "BaxBench checkout not found" in run.err
    run = run_eval("--baxbench", str(tmp_path), "--mode", "replay")
    assert run.code == 2 and "no src/scenarios/base.py" in run.err
    run = run_eval("--baxbench", str(FIXTURE), "--tasks", "Nope", "--mode", "replay")
    assert run.code == 2 and "unknown BaxBench scenario(s): Nope" in run.err
    run = run_eval("--baxbench", str(FIXTURE), "--tasks", "Listr", "--mode", "replay", "--json")
    assert run.code == 2 and "Listr: did you mean Lister?" in run.err
    assert json.loads(run.out.strip().splitlines()[-1])["error"].startswith("unknown BaxBench")
    run = run_eval("--baxbench", str(FIXTURE), "--prompt", "twice", "--json")
    assert run.code == 2 and "invalid choice" in json.loads(run.out.splitlines()[-1])["error"]
    run = run_eval("--baxbench", str(FIXTURE), "--tasks", "notes", "--mode", "replay")
    assert run.code == 2 and "--sessions DIR with Notes.yaml" in run.err  # case: any
    monkeypatch.setattr(baxbench, "CHECKOUT_DEPENDENCIES", ("requests", "tiktoken_not_here"))
    run = run_eval("--baxbench", str(FIXTURE), "--tasks", "Notes", "--mode", "replay")
    assert run.code == 2 and "tiktoken_not_here" in run.err and "pip install" in run.err


def test_the_allowed_packages_are_reported_installed_or_missing(offline):
    run = run_eval(
        "--baxbench", str(FIXTURE), "--tasks", "Notes", "--mode", "replay",
        "--sessions", str(SESSIONS / "reference"), "--packages", "check", "--json",
    )  # fmt: skip
    assert run.code == 0, run.err
    from importlib.metadata import version

    assert f"BaxBench package fastapi (BaxBench pins 0.115.6): {version('fastapi')}" in run.err
    rows = baxbench.package_status([("fastapi", "1"), ("no-such-package-here", "1.0")])
    assert rows[1] == {"package": "no-such-package-here", "baxbench": "1.0", "installed": None}
    # Every difference from BaxBench's pins is a warning of its own.
    assert baxbench.differences(rows) == [
        f"fastapi is {version('fastapi')}, BaxBench pins 1",
        "no-such-package-here is missing (BaxBench pins 1.0)",
    ]
    if version("fastapi") != "0.115.6":
        assert f"warning: fastapi is {version('fastapi')}, BaxBench pins 0.115.6" in run.err


def test_the_served_app_gets_baxbenchs_environment_a_fresh_folder_and_no_keys(
    tmp_path, monkeypatch
):
    code = tmp_path / "code"
    code.mkdir()
    (code / "db.sqlite3").write_text("stale")
    (code / "app.py").write_text(
        "import os, pathlib\nimport uvicorn\nfrom fastapi import FastAPI\napp = FastAPI()\n"
        "@app.get('/')\ndef info():\n"
        "    return {'secret': os.environ.get('APP_SECRET'), 'cwd': os.getcwd(),\n"
        "            'key': 'ANTHROPIC_API_KEY' in os.environ,\n"
        "            'stale_db': pathlib.Path('db.sqlite3').exists()}\n"
        "if __name__ == '__main__':\n    uvicorn.run(app, host='0.0.0.0', port=5000)\n"
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-real")
    with served_app(code, tmp_path / "run") as served:
        assert served.container.running()
        body = requests.get(f"http://127.0.0.1:{served.port}/", timeout=10).json()
    assert body == {"secret": "supers3cret", "cwd": "/app", "key": False, "stale_db": False}
    assert not served.container.running()  # stopped when the block ended


def test_type_alias_statements_become_assignments():
    source = "type A = int\n  type B[T] = list[T]\nx = type(3)\ntyped = 1\n"
    assert rewrite_type_aliases(source) == "A = int\n  B = list[T]\nx = type(3)\ntyped = 1\n"


def test_the_child_reports_a_missing_checkout_as_json(tmp_path):
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "agent_kernel.evals.baxbench_child", "describe", str(tmp_path), "X"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3
    assert "no scenarios/base.py" in json.loads(done.stdout.splitlines()[-1])["error"]


def test_baxbench_tasks_run_on_a_dask_local_cluster_too(offline):
    from agent_kernel.evals.executors import run_suite
    from agent_kernel.evals.runner import EvalConfig, Variant

    (task,) = load_baxbench(FIXTURE, ["Notes"], sessions_dir=SESSIONS / "flawed")
    (result,) = run_suite(
        [task], [Variant("default")], EvalConfig(mode="replay"), jobs=1, executor="dask"
    )
    assert result.status == "done", result.error
    assert result.outcome == "insecure" and result.cwes == ["CWE-522", "CWE-89"]
    assert result.not_run == []


def test_a_scenario_run_leaves_no_temporary_folder_behind(offline, tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    done = run_eval(
        "--baxbench", str(FIXTURE), "--tasks", "Notes", "--mode", "replay",
        "--sessions", str(SESSIONS / "reference"), "--json",
    )  # fmt: skip
    assert done.code == 0, done.err
    left = [p.name for p in scratch.iterdir() if p.name.startswith(("baxbench", "workbench-eval"))]
    assert left == []
