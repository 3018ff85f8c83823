"""`make lab`'s first screen: the tour's URL, and whether the session is offline or live."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_lab_starts_through_the_first_screen():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    lab = makefile.split("\nlab: install\n", 1)[1].split("\n\n", 1)[0]
    assert "-m agent_kernel.notebook.lab" in lab
    assert "pip install -qq" in makefile  # pip's errors only


def test_the_first_screen_opens_the_tour_and_says_offline(tmp_path):
    port = free_port()
    env = {**os.environ, "ANTHROPIC_API_KEY": "", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    env.pop("JUPYTER_TOKEN", None)
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTER_DATA_DIR=str(tmp_path / "data"))
    lab = subprocess.Popen(
        [sys.executable, "-m", "agent_kernel.notebook.lab", "--port", str(port), "--allow-root"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        screen = [lab.stdout.readline() for _ in range(5)]
        assert screen[0].startswith("FastAPI Agent Workbench: JupyterLab on notebooks/")
        url = re.search(r"Open (http://127\.0\.0\.1:\d+/lab/tree/00_tour\.ipynb\?token=\S+)", screen[1])
        assert url, screen
        assert "Start with 00_tour.ipynb" in screen[2]
        assert screen[3].strip().startswith("Offline: no ANTHROPIC_API_KEY")
        token = url.group(1).split("token=")[1]
        status = f"http://127.0.0.1:{port}/api/contents/00_tour.ipynb?content=0&token={token}"
        deadline = time.monotonic() + 60
        while True:  # the URL printed is the server's: the tour is there, behind that token
            try:
                with urllib.request.urlopen(status, timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert lab.poll() is None, lab.stderr.read()
                assert time.monotonic() < deadline, "JupyterLab did not answer"
                time.sleep(0.3)
    finally:
        lab.terminate()
        lab.wait(timeout=30)
    noise = lab.stderr.read()
    assert "[I " not in noise  # Jupyter's INFO lines stay off the first screen


def test_with_a_key_the_first_screen_says_live(monkeypatch):
    from agent_kernel.notebook import lab
    from agent_kernel.settings import reload_settings

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-key")
    monkeypatch.delenv("CI", raising=False)  # CI replays whatever the key says (.ci/run sets it)
    monkeypatch.delenv("WORKBENCH_MODE", raising=False)
    reload_settings()
    try:
        assert lab.session_line().startswith("Live: ANTHROPIC_API_KEY found")
    finally:  # the tests after this one see the environment, and settings, as they were
        monkeypatch.undo()
        reload_settings()
