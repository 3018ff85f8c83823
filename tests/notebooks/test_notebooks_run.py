"""Every notebook runs offline under papermill, and its checks bite.

The executed notebooks are kept under `artifacts/notebooks/` for inspection.
"""

from __future__ import annotations

import pytest

from agent_kernel.project.workspace import Workspace

from .conftest import ARTIFACTS, CAPABILITY_NOTEBOOKS, NOTEBOOKS
from .runner import run_notebook

pytestmark = pytest.mark.notebook


def test_all_seventeen_notebooks_exist():
    assert len(NOTEBOOKS) == 17, [nb.name for nb in NOTEBOOKS]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda nb: nb.stem)
def test_notebook_passes_offline(notebook, tmp_path, notebook_env):
    history = notebook_env()
    run = run_notebook(
        notebook,
        ARTIFACTS / notebook.name,
        {"MODE": "auto", "WORKSPACE": str(tmp_path / "ws"), "HISTORY": str(history)},
    )
    assert run.ok, run.failure
    assert list(history.rglob("*.prompt.md")), "the run left no Prompt History Record"


@pytest.mark.parametrize("notebook", CAPABILITY_NOTEBOOKS, ids=lambda nb: nb.stem)
def test_notebook_fails_without_the_agents_edits(notebook, tmp_path, notebook_env):
    """Replayed with the editor's writes suppressed, the notebook's checks must go red."""
    history = notebook_env(WORKBENCH_SUPPRESS_EDITS="1")
    run = run_notebook(
        notebook,
        ARTIFACTS / "suppressed" / notebook.name,
        {"MODE": "replay", "WORKSPACE": str(tmp_path / "ws"), "HISTORY": str(history)},
    )
    assert not run.ok, f"{notebook.name} still passes with the agent's edits suppressed"
    assert Workspace(tmp_path / "ws").changed_files() == [], "edits were not suppressed"
