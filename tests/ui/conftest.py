"""Fixtures for the notebook front ends: offline, with a throwaway workspace and history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ui_support import OFFLINE_ENV, PING

from agent_kernel import Workbench
from agent_kernel.settings import reload_settings


@pytest.fixture(autouse=True)
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No key, no CI flag, no stray `.env`; PHRs and ADRs go to a temp history."""
    for name in OFFLINE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    history = tmp_path / "history"
    monkeypatch.setenv("WORKBENCH_HISTORY", str(history))
    reload_settings()
    yield history
    reload_settings()


@pytest.fixture
def make_wb(tmp_path: Path) -> Callable[..., Workbench]:
    def make(cassette: Path = PING, **options: object) -> Workbench:
        options.setdefault("workspace", tmp_path / "ws")
        options.setdefault("history", tmp_path / "history")
        options.setdefault("mode", "replay")
        return Workbench(cassette=cassette, **options)  # type: ignore[arg-type]

    return make
