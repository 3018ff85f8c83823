"""`run_command`: allowlisted argv commands in the workspace, refused otherwise, bounded."""

from __future__ import annotations

import pytest

from agent_kernel.tools.base import ToolContext, ToolError
from agent_kernel.tools.run_command import DEFAULT_ALLOWLIST, RunCommandTool, project_allowlist


def run(ctx: ToolContext, *argv: str, **options) -> str:
    return RunCommandTool(**options)({"argv": list(argv)}, ctx)


@pytest.fixture
def ctx(workspace) -> ToolContext:
    return ToolContext(workspace=workspace)


def test_pip_show_reports_the_installed_version(ctx):
    from importlib.metadata import version

    out = run(ctx, "python", "-m", "pip", "show", "pydantic")
    assert out.startswith("$ python -m pip show pydantic\n[exit code 0]")
    assert f"Version: {version('pydantic')}" in out


def test_a_command_off_the_allowlist_is_refused_with_the_list(ctx):
    with pytest.raises(ToolError) as refused:
        run(ctx, "python", "-m", "pip", "install", "requests")
    message = str(refused.value)
    assert "not on this project's command allowlist" in message
    for entry in ("python -m pip show", "ruff", "alembic", "pytest", "git diff", "git status"):
        assert entry in message
    with pytest.raises(ToolError, match="allowlist"):
        run(ctx, "rm", "-rf", ".")


def test_a_shell_string_is_refused(ctx):
    with pytest.raises(ToolError, match="not a shell string"):
        RunCommandTool()({"argv": "git status; rm -rf ."}, ctx)


def users_project(ctx: ToolContext, tmp_path, pyproject: str) -> None:
    """The user's own tree the workspace came from: the rules are read there."""
    source = tmp_path / "users-project"
    source.mkdir()
    (source / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    ctx.workspace.source = source


def test_the_project_configures_its_allowlist_and_timeout(ctx, tmp_path):
    users_project(
        ctx, tmp_path, '[tool.workbench]\ncommands = ["python -c"]\ncommand-timeout = 1\n'
    )
    allowlist, timeout = project_allowlist(ctx.workspace)
    assert allowlist == (("python", "-c"),) and timeout == 1.0
    assert "[exit code 0]\nhi" in run(ctx, "python", "-c", "print('hi')")
    with pytest.raises(ToolError, match="allowlist"):
        run(ctx, "git", "status")  # the project's list replaced the defaults
    with pytest.raises(ToolError, match="timed out after 1s"):
        run(ctx, "python", "-c", "import time; time.sleep(30)")


def test_extra_commands_add_to_the_defaults(ctx, tmp_path):
    users_project(ctx, tmp_path, '[tool.workbench]\nextra-commands = ["python -c"]\n')
    allowlist, _ = project_allowlist(ctx.workspace)
    assert allowlist[: len(DEFAULT_ALLOWLIST)] == tuple(tuple(e.split()) for e in DEFAULT_ALLOWLIST)
    assert ("python", "-c") in allowlist


def test_the_environment_is_built_not_inherited_and_the_output_capped(ctx, monkeypatch, tmp_path):
    monkeypatch.setenv("SERVICE_API_TOKEN", "tok-should-not-leak-1234")
    monkeypatch.setenv("PLAIN_SETTING", "not declared")
    monkeypatch.setenv("GREETING", "declared")
    users_project(ctx, tmp_path, '[tool.workbench.sandbox]\nenv = ["GREETING"]\n')
    names = "('SERVICE_API_TOKEN', 'PLAIN_SETTING', 'GREETING')"
    code = f"import os; print([os.environ.get(n) for n in {names}])"
    out = run(ctx, "python", "-c", code, allowlist=["python -c"])
    assert "[None, None, 'declared']" in out
    long = run(ctx, "python", "-c", "print('y' * 50000)", allowlist=["python -c"], cap=1000)
    assert "characters cut" in long and len(long) < 1200


def test_it_runs_in_the_workspace(ctx):
    out = run(ctx, "python", "-m", "agent_kernel.project.routes")
    assert "/api/health" in out
