"""Every notebook runs offline under papermill, and its checks bite.

The executed notebooks are kept under `artifacts/notebooks/` for inspection.
"""

from __future__ import annotations

import pytest

from agent_kernel.project.workspace import Workspace

from .conftest import ARTIFACTS, CAPABILITY_NOTEBOOKS, NOTEBOOKS
from .runner import run_notebook

pytestmark = pytest.mark.notebook


def test_all_eighteen_notebooks_exist():
    assert len(NOTEBOOKS) == 18, [nb.name for nb in NOTEBOOKS]


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
    changed = [
        rel
        for rel in Workspace(tmp_path / "ws").changed_files()
        if not laid_down(tmp_path / "ws", rel)
    ]
    assert changed == [], "edits were not suppressed"


def laid_down(root, rel: str) -> bool:
    """A /sp.* stage file the workbench copied from a template before the model started, and
    that nobody filled in since (its first placeholder still there): not an agent's edit."""
    stage_file = rel == ".specify/memory/constitution.md" or (
        rel.startswith("specs/") and rel.rsplit("/", 1)[-1] in ("spec.md", "plan.md", "tasks.md")
    )
    text = (root / rel).read_text(encoding="utf-8") if (root / rel).is_file() else ""
    return stage_file and ("[PROJECT_NAME]" in text or "[FEATURE_NAME]" in text)
