"""The facade: building one starts nothing; what is warm starts at the first run or test."""

from __future__ import annotations

import subprocess
import sys

import agent_kernel.workbench as facade
from agent_kernel.workbench import Workbench


def python(code: str) -> str:
    """What a fresh interpreter prints running `code` (it must succeed)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_building_a_workbench_starts_nothing_until_first_use(tmp_path, monkeypatch):
    started: list[str] = []
    monkeypatch.setattr(facade, "prestart_pytest", lambda *_: started.append("pytest server"))
    monkeypatch.setattr(facade.warmup, "enable", lambda: started.append("warm-up"))
    wb = Workbench(workspace=tmp_path / "ws", history=tmp_path / "history", mode="replay")
    assert started == []
    run = wb.pytest("-q", "tests/test_health.py")
    assert run.passed, run.output
    assert started == ["pytest server", "warm-up"]


def test_the_notebook_facade_changes_no_class_until_it_runs(tmp_path):
    code = (
        "from agent_kernel import Workbench, RunResult\n"
        f"wb = Workbench(workspace={str(tmp_path / 'ws')!r}, history={str(tmp_path / 'h')!r})\n"
        "import threading\n"
        "print(hasattr(RunResult, '_repr_html_'), "
        "[t.name for t in threading.enumerate() if t.name != 'MainThread'])\n"
    )
    assert python(code) == "False []"


def test_the_core_facade_imports_no_front_end(tmp_path):
    code = (
        "import sys\n"
        "from agent_kernel.workbench import Workbench\n"
        f"wb = Workbench(workspace={str(tmp_path / 'ws')!r}, history={str(tmp_path / 'h')!r})\n"
        "wb.history(); wb.diff()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('agent_kernel.notebook', "
        "'agent_kernel.terminal', 'agent_kernel.evals', 'ipywidgets', 'IPython'))))\n"
    )
    assert python(code) == "[]"


def test_a_scripted_replay_keeps_its_phrs_in_the_workspace(
    tmp_path, kit, script, fake_checks, monkeypatch
):
    repo_history = tmp_path / "repo-history"
    monkeypatch.delenv("WORKBENCH_HISTORY", raising=False)
    monkeypatch.setattr(facade, "default_history_dir", lambda: repo_history)
    wb = Workbench(workspace=tmp_path / "ws", mode="replay", cassette=script(kit.ping_turns()))
    result = wb.run(kit.PROMPT)
    assert result.status == "ok", result.reason
    own = wb.workspace.root / ".workbench" / "history"
    assert result.phr_path is not None and own in result.phr_path.parents
    assert not repo_history.exists()
    assert [r.path for r in wb.history().records] == [result.phr_path]
    assert "sandbox_app/api/routes/ping.py" in wb.workspace.changed_files()
    assert not any(f.startswith(".workbench") for f in wb.workspace.changed_files())


def test_live_recorded_and_explicit_histories_keep_their_place(tmp_path, monkeypatch):
    from types import SimpleNamespace

    repo_history = tmp_path / "repo-history"
    monkeypatch.delenv("WORKBENCH_HISTORY", raising=False)
    monkeypatch.setattr(facade, "default_history_dir", lambda: repo_history)
    wb = Workbench(workspace=tmp_path / "ws")
    for mode, source in [("live", "live"), ("record", "live"), ("replay", "recorded")]:
        wb.handle = SimpleNamespace(mode=mode, source=source)
        assert wb.history_dir == repo_history
    wb.handle = SimpleNamespace(mode="replay", source="scripted")
    assert wb.history_dir == wb.workspace.root / ".workbench" / "history"
    chosen = Workbench(workspace=tmp_path / "ws", history=tmp_path / "mine")
    chosen.handle = SimpleNamespace(mode="replay", source="scripted")
    assert chosen.history_dir == tmp_path / "mine"


def test_apply_copies_the_baselines_changes_into_the_target_only_when_asked(tmp_path):
    wb = Workbench(workspace=tmp_path / "ws", history=tmp_path / "history")
    target = tmp_path / "repo"
    (wb.workspace.root / "sandbox_app" / "extra.py").write_text("X = 1\n")
    (wb.workspace.root / "tests" / "test_extra.py").write_text("def test_x():\n    pass\n")
    (wb.workspace.root / "sandbox_app" / "api" / "router.py").unlink()
    (target / "sandbox_app" / "api").mkdir(parents=True)
    (target / "sandbox_app" / "api" / "router.py").write_text("old\n")
    assert not (target / "sandbox_app" / "extra.py").exists()  # nothing before apply
    applied = wb.apply(target)
    assert sorted(applied) == [
        "deleted sandbox_app/api/router.py",
        "updated sandbox_app/extra.py",
        "updated tests/sandbox_app/test_extra.py",
    ]
    assert (target / "sandbox_app" / "extra.py").read_text() == "X = 1\n"
    assert not (target / "sandbox_app" / "api" / "router.py").exists()
