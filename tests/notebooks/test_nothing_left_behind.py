"""A newcomer's lesson run leaves the checkout as it was and no temp folders behind.

Each lesson runs as `make lab` runs it: its own parameters (a temp workspace, no history
given), auto mode with no key, the kernel in `notebooks/`; its temp folder is a private one,
so whatever it leaves there is seen. Lesson 14 also runs from another working directory.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from agent_kernel.notebook.execution import execute

from .conftest import NOTEBOOK_DIR, NOTEBOOKS, REPO

pytestmark = pytest.mark.notebook


def git_status() -> str:
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def left_in(tmp: Path, wait: float = 60.0) -> list[str]:
    """What is left in the temp folder (pytest's own basetemp aside) once servers had time."""
    deadline = time.monotonic() + wait
    while True:
        left = sorted(p.name for p in tmp.iterdir() if not p.name.startswith("pytest-of-"))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.fixture
def newcomer(tmp_path, short_tmp, monkeypatch) -> Path:
    """No key, no CI, no WORKBENCH_* settings; a private temp folder for the kernel."""
    for key in list(os.environ):
        if key.startswith(("ANTHROPIC_", "WORKBENCH_")) or key == "CI":
            monkeypatch.delenv(key)
    tmp = short_tmp
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setenv("WORKBENCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("WORKBENCH_REPO_DOTENV", "0")
    monkeypatch.setenv("WORKBENCH_PYTEST_GRACE", "2")  # the warm server leaves soon after
    monkeypatch.setenv("WORKBENCH_APP_HOST_GRACE", "2")  # and so does a project's app host
    return tmp


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda nb: nb.stem)
def test_a_lesson_leaves_nothing_behind(notebook, newcomer, tmp_path):
    before = git_status()
    execute(notebook, tmp_path / notebook.name, cwd=NOTEBOOK_DIR, timeout=300)
    assert git_status() == before, f"{notebook.name} changed the checkout"
    assert left_in(newcomer) == [], f"{notebook.name} left temp folders"


def test_lesson_14_runs_from_any_folder(newcomer, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    notebook = NOTEBOOK_DIR / "14_your_project.ipynb"
    executed = execute(notebook, tmp_path / notebook.name, cwd=elsewhere, timeout=300)
    outputs = [
        "".join(out.get("text", "")) for cell in executed.cells for out in cell.get("outputs", [])
    ]
    assert not any(str(newcomer) in text for text in outputs), "a machine path in the output"
    assert "/tmp/" not in notebook.read_text(encoding="utf-8")  # nor in the committed one
    assert left_in(newcomer) == []
