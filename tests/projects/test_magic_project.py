"""`%%agent --project DIR` opens the project's private copy, runs there, and is reused."""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell

from agent_kernel.project.checkout import ProjectWorkspace

from .test_run_secrets import cassette


def test_agent_magic_runs_on_a_project(notes, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HISTORY", str(tmp_path / "history"))
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "agent_kernel")
    shell.user_ns.pop("wb", None)
    prompt = "Check what the settings hold."
    tape = cassette(tmp_path / "probe.yaml", prompt)
    try:
        line = f"--mode replay --cassette {tape} --project {notes} --workspace {tmp_path / 'ws'}"
        shell.run_cell_magic("agent", line, prompt)
        wb = shell.user_ns["wb"]
        assert isinstance(wb.workspace, ProjectWorkspace)
        assert wb.workspace.source == notes.resolve()
        assert wb.last_result.ok, wb.last_result.reason
        assert wb.last_result.files_changed == ["tests/test_probe.py"]
        assert not (notes / "tests/test_probe.py").exists()
        # The same project again: the same workbench (and its copy, with the earlier edit).
        shell.run_cell_magic("agent", f"--mode replay --cassette {tape} --project {notes}", prompt)
        assert shell.user_ns["wb"] is wb
    finally:
        shell.user_ns.pop("wb", None)
