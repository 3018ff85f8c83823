"""Kernel warm-up: the app stack is imported in the main thread while it waits for tests."""

from __future__ import annotations

import sys
import threading
import uuid

import pytest

from agent_kernel.project import warmup


@pytest.fixture
def fake_modules(tmp_path, monkeypatch):
    """Two importable modules of this test's own; each records that it was imported."""
    names = [f"wb_warm_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        (tmp_path / f"{name}.py").write_text("import time\nIMPORTED_AT = time.time()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield names
    for name in names:
        sys.modules.pop(name, None)
    warmup.enable(())


def test_each_step_imports_one_queued_module(fake_modules):
    first, second = fake_modules
    warmup.enable((first, second))

    assert warmup.step() is True
    assert first in sys.modules and second not in sys.modules
    assert warmup.step() is True
    assert second in sys.modules
    assert warmup.step() is False


def test_modules_already_imported_are_not_queued(fake_modules):
    first, second = fake_modules
    __import__(first)
    warmup.enable((first, second))

    assert warmup.step() is True
    assert second in sys.modules
    assert warmup.step() is False


def test_a_missing_module_is_skipped_quietly(fake_modules):
    first, _ = fake_modules
    warmup.enable(("no_such_module_for_the_workbench", first))

    assert warmup.step() is True
    assert warmup.step() is True
    assert first in sys.modules


def test_nothing_is_imported_off_the_main_thread(fake_modules):
    first, _ = fake_modules
    warmup.enable((first,))
    answers = []
    worker = threading.Thread(target=lambda: answers.append(warmup.step()))
    worker.start()
    worker.join()

    assert answers == [False]
    assert first not in sys.modules
    assert warmup.step() is True  # still queued for the main thread
