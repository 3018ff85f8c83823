"""The workbench's kernel starts without ipykernel's unencrypted-TCP warning on loopback."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import nbformat

from agent_kernel.notebook import kernel_launch, kernelspec


def test_a_papermill_run_over_tcp_prints_no_tcp_warning(tmp_path):
    prefix = tmp_path / "prefix"
    kernelspec.install("wb-launch-test", prefix=str(prefix))
    notebook = tmp_path / "in.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    nbformat.write(nb, notebook)
    env = {**os.environ, "JUPYTER_PATH": str(prefix / "share" / "jupyter")}
    papermill = Path(sys.executable).parent / "papermill"
    done = subprocess.run(
        [str(papermill), str(notebook), str(tmp_path / "out.ipynb"), "-k", "wb-launch-test"],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "running over TCP" not in done.stderr
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert out.cells[0].outputs[0]["text"] == "42\n"


def test_the_warning_stays_for_a_kernel_reachable_from_elsewhere():
    assert kernel_launch.is_loopback("127.0.0.1") and kernel_launch.is_loopback("::1")
    assert not kernel_launch.is_loopback("0.0.0.0") and not kernel_launch.is_loopback("10.1.2.3")
    record = logging.LogRecord("IPKernelApp", logging.WARNING, "", 0, "other", None, None)
    assert kernel_launch.LoopbackTcpWarning().filter(record)  # other messages pass
