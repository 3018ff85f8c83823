"""Shared pieces of the notebook regression tests: which notebooks, and a clean environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent_kernel.notebook.kernelspec import DEFAULT_NAME

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"
ARTIFACTS = REPO / "artifacts" / "notebooks"
KERNEL = DEFAULT_NAME  # the workbench's kernelspec
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
CAPABILITY_NOTEBOOKS = [nb for nb in NOTEBOOKS if nb.name[:2] not in ("00", "13")]


def offline_env(history: Path, **extra: str) -> dict[str, str]:
    """The environment a notebook kernel gets: no key, CI replay, a throwaway history."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ANTHROPIC_") and key != "WORKBENCH_SUPPRESS_EDITS"
    }
    env.update({"CI": "true", "WORKBENCH_MODE": "replay", "WORKBENCH_HISTORY": str(history)})
    env.update(extra)
    return env


@pytest.fixture
def notebook_env(tmp_path, monkeypatch):
    """Apply `offline_env` to this process, so the kernels papermill starts inherit it."""

    def apply(**extra: str) -> Path:
        history = tmp_path / "history"
        for key in list(os.environ):
            if key.startswith("ANTHROPIC_") or key == "WORKBENCH_SUPPRESS_EDITS":
                monkeypatch.delenv(key)
        for key, value in offline_env(history, **extra).items():
            monkeypatch.setenv(key, value)
        return history

    return apply
