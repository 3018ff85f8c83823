"""The BaxBench adapter on a tiny scenario module in BaxBench's layout (baxbench_fixture/).

The apps are served for real (uvicorn on a free loopback port) and the scenario's own test
functions run against them: a secure reference session, a flawed one caught by the module's
own security tests, and a check that needs a container reported as not run.
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
CONTAINER_ONLY = "security: sec_test_not_running_as_root"


@pytest.fixture(scope="module")
def reference(offline: None):
    return run_eval(
        "--baxbench", str(FIXTURE), "--tasks", "Notes", "--mode", "replay",
        "--sessions", str(SESSIONS / "reference"), "--json",
    )  # fmt: skip


@pytest.fixture(scope="module")
def flawed(offline: None):
    return run_eval(
        "--baxbench", str(FIXTURE), "--tasks", "Notes", "--mode", "replay",
        "--sessions", str(SESSIONS / "flawed"), "--json",
    )  # fmt: skip


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
    assert summary["cwes"] == {"CWE-522": 1, "CWE-89": 1}
    assert "CWE-89" in flawed.err and "CWE-522" in flawed.err


def test_a_container_only_check_is_reported_as_not_run_never_passed(reference, flawed):
    for run in (reference, flawed):
        notes = run.task("Notes")
        assert notes["not_run"] == [CONTAINER_ONLY]
        check = next(c for c in notes["checks"] if c["name"] == "sec_test_not_running_as_root")
        # The test swallows the stand-in's error and returns an empty set: still not passed.
        assert check["ran"] is False and check["passed"] is False
        assert "needs the container" in check["message"] and "id -u" in check["message"]
        assert notes["security"]["passed"] < notes["security"]["total"]
    assert "not run (never counted as passed)" in reference.err


def test_the_prompt_is_the_scenarios_own_for_fastapi():
    (task,) = load_baxbench(FIXTURE, ["Notes"], sessions_dir=SESSIONS / "reference")
    assert "notes web app using the FastAPI framework" in task.prompt
    assert "/notes:" in task.prompt  # the OpenAPI spec
    assert "sqlite3 database named db.sqlite3" in task.prompt
    assert "fastapi==0.115.6" in task.prompt  # the allowed packages
    assert "your working directory (the workspace root)" in task.prompt
    assert task.potential_cwes == ("CWE-269", "CWE-522", "CWE-703", "CWE-89")
    assert task.session_path() == (SESSIONS / "reference" / "Notes.yaml").resolve()


def test_only_the_selected_scenarios_are_imported():
    # scenarios/__init__.py imports a module whose dependency is missing; Notes still loads.
    assert [t.id for t in load_baxbench(FIXTURE, ["Notes"])] == ["Notes"]
    with pytest.raises(BaxBenchError, match="'package_that_is_not_installed'"):
        load_baxbench(FIXTURE, ["NeedsMissingPackage"])
    skipped: list[str] = []
    assert [t.id for t in load_baxbench(FIXTURE, skipped=skipped)] == ["Notes"]
    assert skipped and skipped[0].startswith("NeedsMissingPackage:")


def test_bad_input_gets_a_clear_error(tmp_path, offline, monkeypatch):
    run = run_eval("--baxbench", str(tmp_path / "nowhere"), "--mode", "replay")
    assert run.code == 2 and "BaxBench checkout not found" in run.err
    run = run_eval("--baxbench", str(tmp_path), "--mode", "replay")
    assert run.code == 2 and "no src/scenarios/base.py" in run.err
    run = run_eval("--baxbench", str(FIXTURE), "--tasks", "Nope", "--mode", "replay")
    assert run.code == 2 and "unknown BaxBench scenario(s): Nope" in run.err
    run = run_eval("--baxbench", str(FIXTURE), "--tasks", "Notes", "--mode", "replay")
    assert run.code == 2 and "--sessions DIR with Notes.yaml" in run.err
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


def test_the_served_app_gets_app_secret_a_fresh_folder_and_no_keys(tmp_path, monkeypatch):
    code = tmp_path / "code"
    code.mkdir()
    (code / "db.sqlite3").write_text("stale")
    (code / "app.py").write_text(
        "import os, pathlib\nfrom fastapi import FastAPI\napp = FastAPI()\n"
        "@app.get('/')\ndef info():\n"
        "    return {'secret': bool(os.environ.get('APP_SECRET')),\n"
        "            'key': 'ANTHROPIC_API_KEY' in os.environ,\n"
        "            'stale_db': pathlib.Path('db.sqlite3').exists()}\n"
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-real")
    with served_app(code, tmp_path / "run") as served:
        assert served.process.poll() is None
        body = requests.get(f"http://127.0.0.1:{served.port}/", timeout=10).json()
    assert body == {"secret": True, "key": False, "stale_db": False}
    assert served.process.poll() is not None  # stopped when the block ended


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
    assert result.not_run == [CONTAINER_ONLY]


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
