"""The workbench's kernel exits without walking its heap, and says so only through its spec."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from agent_kernel.notebook import kernel_exit

from agent_kernel.notebook import kernelspec

from .conftest import KERNEL, NOTEBOOK_DIR

# Cyclic garbage whose finalizer leaves a mark: only a collection at exit can run it.
LEAVE_CYCLE = """
import gc
gc.disable()

class Witness:
    def __del__(self):
        with open({mark!r}, "w") as file:
            file.write("collected")

witness = Witness()
witness.cycle = witness
del witness
"""


def run_kernel_and_shut_down(code: str, **env: str) -> None:
    manager = KernelManager(kernel_name=KERNEL)
    manager.start_kernel(cwd=str(NOTEBOOK_DIR), env={**os.environ, **env})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(code, timeout=60, output_hook=lambda _msg: None)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel()  # a shutdown request, as papermill sends


def test_the_installed_kernelspec_loads_the_exit_extension():
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert f"--ext={kernel_exit.EXTENSION}" in spec.argv
    assert spec.argv[: len(kernelspec.PYTHON_ARGUMENTS) + 1][1:] == list(
        kernelspec.PYTHON_ARGUMENTS
    )


def test_a_workbench_kernel_leaves_the_collector_out_of_its_exit(tmp_path: Path):
    mark = tmp_path / "collected"
    run_kernel_and_shut_down(LEAVE_CYCLE.format(mark=str(mark)))
    assert not mark.exists(), "the heap was collected at exit"


def test_the_usual_exit_collects_when_fast_exit_is_off(tmp_path: Path):
    """The control: the same cycle is collected, and its finalizer runs, without the freeze."""
    mark = tmp_path / "collected"
    run_kernel_and_shut_down(LEAVE_CYCLE.format(mark=str(mark)), **{kernel_exit.ENABLE_ENV: "0"})
    assert mark.read_text() == "collected"


@pytest.mark.parametrize(
    ("value", "enabled"), [("", True), ("1", True), ("0", False), ("off", False)]
)
def test_the_switch(monkeypatch, value: str, enabled: bool):
    monkeypatch.setenv(kernel_exit.ENABLE_ENV, value)
    assert kernel_exit.enabled() is enabled


def test_loading_twice_registers_one_exit_step(monkeypatch):
    registered: list[object] = []
    monkeypatch.setattr(kernel_exit.atexit, "register", registered.append)
    monkeypatch.setattr(
        kernel_exit.atexit,
        "unregister",
        lambda f: registered.remove(f) if f in registered else None,
    )
    kernel_exit.load_ipython_extension(None)
    kernel_exit.load_ipython_extension(None)
    assert registered == [kernel_exit.freeze_heap]


def test_freeze_heap_moves_the_heap_out_of_sight():
    try:
        kernel_exit.freeze_heap()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
