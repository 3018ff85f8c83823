"""run_tests: real pytest subprocesses in a workspace, killed on timeout, without secrets."""

import json
import time
from pathlib import Path

import pytest

from agent_kernel.project.pytest_run import parse_counts
from agent_kernel.project.safe_env import safe_environment
from agent_kernel.project.workspace import Workspace
from agent_kernel.tools.base import ToolContext, ToolError
from agent_kernel.tools.run_tests import RunTestsTool, run_pytest


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws")


def test_baseline_suite_passes(workspace):
    run = run_pytest(workspace)
    assert run.passed and run.exit_code == 0 and not run.timed_out
    assert run.counts == {"passed": 1}
    assert "1 passed" in run.output
    assert run.duration > 0


def test_tests_import_the_workspace_copy_not_the_repository(workspace):
    health = workspace.root / "sandbox_app/api/routes/health.py"
    health.write_text(health.read_text().replace('"status": "ok"', '"status": "broken"'))
    run = run_pytest(workspace, "tests/test_health.py")
    assert not run.passed and run.exit_code == 1
    assert run.counts == {"failed": 1}
    assert "broken" in run.output


def test_failing_run_is_information_not_a_tool_error(workspace):
    (workspace.root / "tests/test_mixed.py").write_text(
        "def test_ok():\n    assert True\n\ndef test_bad():\n    assert 1 + 1 == 3\n"
    )
    ctx = ToolContext(workspace=workspace, test_timeout=60)
    out = RunTestsTool()({"target": "tests/test_mixed.py"}, ctx)
    first = out.splitlines()[0]
    assert first.startswith("run_tests tests/test_mixed.py: failed (exit code 1): ")
    assert "1 failed" in first and "1 passed" in first
    assert "assert (1 + 1) == 3" in out
    whole = RunTestsTool()({}, ctx)
    assert "2 passed" in whole.splitlines()[0] and "1 failed" in whole.splitlines()[0]


def test_node_id_target_runs_one_test(workspace):
    (workspace.root / "tests/test_two.py").write_text(
        "def test_a():\n    pass\n\ndef test_b():\n    raise SystemExit(3)\n"
    )
    run = run_pytest(workspace, "tests/test_two.py::test_a")
    assert run.passed and run.counts == {"passed": 1}
    absolute = f"{workspace.root / 'tests/test_two.py'}::test_a"
    assert run_pytest(workspace, absolute).passed


def test_hung_test_is_killed_within_the_timeout(workspace):
    (workspace.root / "tests/test_hang.py").write_text(
        "import subprocess, sys, time\n\n"
        "def test_hang():\n"
        "    # a grandchild in the same group, holding the output open\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "    time.sleep(600)\n"
    )
    started = time.monotonic()
    run = run_pytest(workspace, "tests/test_hang.py", timeout=3)
    elapsed = time.monotonic() - started
    assert run.timed_out and not run.passed and run.exit_code is None
    assert elapsed < 10
    assert "timed out after 3s" in run.output
    ctx = ToolContext(workspace=workspace, test_timeout=3)
    out = RunTestsTool()({"target": "tests/test_hang.py"}, ctx)
    assert out.startswith("run_tests tests/test_hang.py: timed out")
    assert "was killed" in out


def test_environment_has_no_secrets(workspace, monkeypatch):
    canary = "canary-" + "x" * 12 + str(time.time_ns())
    monkeypatch.setenv("MY_API_KEY", canary)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-" + canary)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://localhost:1")
    monkeypatch.setenv("GITHUB_TOKEN", canary)
    monkeypatch.setenv("DB_PASSWORD", canary)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///kept.db")
    monkeypatch.setenv("WORKBENCH_KEEP_ME", "not declared")
    dump = workspace.root / "env.json"  # the workspace is the only place a test may write
    (workspace.root / "tests/test_env.py").write_text(
        "import json, os\n\n"
        "def test_dump():\n"
        f"    open({str(dump)!r}, 'w').write(json.dumps(dict(os.environ)))\n"
    )
    assert run_pytest(workspace, "tests/test_env.py").passed
    seen = json.loads(dump.read_text())
    assert canary not in dump.read_text()
    for name in ("MY_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GITHUB_TOKEN"):
        assert name not in seen
    assert seen["DATABASE_URL"] == "sqlite:///kept.db"  # a setting the project declares
    assert "WORKBENCH_KEEP_ME" not in seen  # built from an allowlist, never inherited
    assert seen["PATH"] and seen["PYTHONPATH"] == str(workspace.root)
    assert seen["HOME"] == "/tmp/home"


def test_safe_environment_filters_by_name(monkeypatch):
    monkeypatch.setenv("SOME_SECRET_VALUE", "1")
    monkeypatch.setenv("AWS_CREDENTIALS_FILE", "1")
    monkeypatch.setenv("BASIC_AUTH", "1")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-x")
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = safe_environment("/w")
    assert "SOME_SECRET_VALUE" not in env and "AWS_CREDENTIALS_FILE" not in env
    assert "BASIC_AUTH" not in env and "PYTEST_ADDOPTS" not in env
    assert env["LANG"] == "C.UTF-8" and env["PYTHONPATH"] == "/w"


@pytest.mark.parametrize(
    "target", ["../outside.py", "/etc/passwd", "../../tmp::test_x", "-p", "--rootdir=/"]
)
def test_target_outside_the_workspace_is_refused(workspace, target):
    with pytest.raises(ToolError):
        run_pytest(workspace, target)
    ctx = ToolContext(workspace=workspace)
    with pytest.raises(ToolError):
        RunTestsTool()({"target": target}, ctx)


def test_missing_target_is_a_clear_error(workspace):
    with pytest.raises(ToolError, match="does not exist"):
        run_pytest(workspace, "tests/test_nothing.py")


def test_output_is_capped(workspace):
    (workspace.root / "tests/test_loud.py").write_text(
        "def test_loud():\n    print('y' * 50_000)\n    assert False\n"
    )
    run = run_pytest(workspace, "tests/test_loud.py", cap=2_000)
    assert len(run.output) < 2_200 and "characters cut]" in run.output
    assert run.output.rstrip().endswith("1 failed in " + run.output.rstrip().split(" in ")[-1])
    assert run.counts == {"failed": 1}  # counted from the full output


def test_parse_counts_reads_the_summary_line():
    output = "F.s\nFAILED t.py::a - 2 passed\n1 failed, 1 passed, 1 skipped, 2 warnings in 0.1s\n"
    assert parse_counts(output) == {"failed": 1, "passed": 1, "skipped": 1, "warnings": 2}
    assert parse_counts("1 error in 0.2s") == {"errors": 1}
    assert parse_counts("no tests ran in 0.01s") == {}


def test_tool_definition():
    definition = RunTestsTool().definition()
    assert definition["name"] == "run_tests"
    assert set(definition["input_schema"]["properties"]) == {"target"}
    assert "required" not in definition["input_schema"]


def test_counts_survive_a_colour_forcing_environment(workspace, monkeypatch):
    """Notebook kernels force colour; the summary must still parse and reach the model plain."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("PY_COLORS", "1")
    run = run_pytest(workspace)
    assert run.passed
    assert run.counts.get("passed", 0) >= 1
    assert "\x1b[" not in run.output
