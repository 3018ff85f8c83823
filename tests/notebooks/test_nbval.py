"""The committed outputs of every notebook are still true (nbval, sanitised)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import NOTEBOOK_DIR, NOTEBOOKS, offline_env

pytestmark = pytest.mark.notebook
SANITIZE = NOTEBOOK_DIR / "nbval_sanitize.cfg"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda nb: nb.stem)
def test_committed_outputs_hold(notebook, tmp_path):
    assert any(cell.get("outputs") for cell in _cells(notebook)), "committed without outputs"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-p",
            "nbval",
            "--nbval",
            "--nbval-sanitize-with",
            str(SANITIZE),
            "--nbval-kernel-name",
            "fastapi-workbench",
            "--nbval-cell-timeout",
            "300",
            str(notebook),
        ],
        cwd=NOTEBOOK_DIR,
        env=offline_env(tmp_path / "history"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-2000:]


def _cells(notebook):
    import nbformat

    return nbformat.read(notebook, as_version=4).cells
