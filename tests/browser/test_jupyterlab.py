"""JupyterLab in a real browser: the panel renders with its buttons, and a replay run shows
its output in the page.

Drives Debian's `/usr/bin/chromium` with Playwright's Python package (Playwright's own
browser download cannot work offline). Skipped only on a machine without chromium outside
CI; in CI (`CI` set) a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

HERE = Path(__file__).parent
REPO = HERE.parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NEWS_QUESTION = re.compile("official Jupyter news", re.IGNORECASE)
SCREENSHOT = REPO / "artifacts" / "browser" / "jupyterlab.png"
REVIEW_SCREENSHOT = SCREENSHOT.with_name("jupyterlab-review.png")
REJECT_REASON = "name the module greeting.py"
KERNEL = "fastapi-workbench-browser-test"
KERNEL_NAME = "FastAPI Workbench (browser test)"
NOTEBOOK = "browser_check.ipynb"
PROMPT = "Add GET /api/hello returning a greeting."
RUN_DONE = "contract submitted; every acceptance check passed"


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI: install it with apt-get install chromium")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI never skips this")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_notebook(root: Path) -> Path:
    """A small notebook: a panel on one workbench, a replay run on another, a live check."""
    cells = [
        "from agent_kernel import Workbench\n"
        'wb = Workbench(workspace="ws_run", history="history", mode="replay", '
        'cassette="hello.yaml")\n'
        'panel_wb = Workbench(workspace="ws_panel", history="history", mode="replay", '
        'cassette="hello.yaml")',
        "panel_wb.panel()",
        'review_wb = Workbench(workspace="ws_review", history="history", mode="replay", '
        'cassette="hello.yaml", permission_mode="ask")\n'
        "review_wb.panel()",
        f"result = wb.run({PROMPT!r})",
        'print("live check:", wb.client().get("/api/hello").json())',
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {
        "name": KERNEL,
        "display_name": KERNEL_NAME,
        "language": "python",
    }
    path = root / NOTEBOOK
    nbformat.write(nb, path)
    return path


def write_kernelspec(data_dir: Path) -> None:
    """A kernelspec that runs this very interpreter (the venv), so no other kernel is used."""
    spec = data_dir / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": KERNEL_NAME,
                "language": "python",
            }
        ),
        encoding="utf-8",
    )


def write_lab_settings(config_dir: Path) -> None:
    """Keep every cell in the DOM (no windowing); no news question comes from `make install`."""
    settings = config_dir / "lab" / "user-settings" / "@jupyterlab"
    tracker = settings / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}), encoding="utf-8")


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path
    runtime: Path  # the server's runtime folder: connection files, and the kernels' sockets


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(HERE / "hello.yaml", root / "hello.yaml")
    write_notebook(root)
    jupyter = tmp_path / "jupyter"
    # The kernel talks to the server over Unix sockets beside its connection file, so that no
    # kernel started elsewhere at the same moment can take its ports first. A socket path
    # must stay under about 100 characters, which tmp_path does not promise.
    runtime = Path(tempfile.mkdtemp(prefix="jr-"))
    write_kernelspec(jupyter / "path")
    write_lab_settings(jupyter / "config")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "WORKBENCH_MODE")
    }
    env.update(
        JUPYTER_PATH=str(jupyter / "path"),
        JUPYTER_CONFIG_DIR=str(jupyter / "config"),
        JUPYTER_DATA_DIR=str(jupyter / "data"),
        JUPYTER_RUNTIME_DIR=str(runtime),
        IPYTHONDIR=str(jupyter / "ipython"),
        WORKBENCH_HISTORY=str(root / "history"),
    )
    port, token = free_port(), secrets.token_hex(16)
    command = [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={jupyter / 'workspaces'}",
        "--KernelManager.transport=ipc",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp_path / "jupyterlab.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base, token, server, log)
        yield Lab(base, token, root, log, runtime)
    finally:
        stop(server)
        shutil.rmtree(runtime, ignore_errors=True)


def wait_for_server(base: str, token: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"jupyter lab did not answer within 90 s:\n{log.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)


def test_panel_and_replay_run_in_jupyterlab(lab: Lab) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        try:
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?token={lab.token}")
            # the status bar names the kernel once it is connected (the toolbar's execution
            # indicator says idle earlier, before a kernel is attached)
            idle = page.get_by_text(f"{KERNEL_NAME} | Idle", exact=True)
            expect(idle).to_be_visible(timeout=90_000)
            assert list(lab.runtime.glob("kernel-*-ipc-*")), "the kernel is not on Unix sockets"

            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

            # the panel renders, with its buttons
            panel = page.locator(".workbench-panel").nth(0)
            expect(panel).to_be_visible(timeout=120_000)
            run = panel.locator("button", has_text=re.compile(r"^\s*Run\s*$"))
            stop_button = panel.locator("button", has_text=re.compile(r"^\s*Stop\s*$"))
            expect(run).to_be_visible()
            expect(stop_button).to_be_visible()
            expect(panel).to_contain_text("REPLAY · SCRIPTED SESSION")
            for tab in ("Contract", "Diff", "Checks", "PHR"):
                expect(panel.locator(".lm-TabBar-tabLabel", has_text=tab)).to_be_visible()
            expect(panel.locator("textarea")).to_have_value(PROMPT)

            # the replay run's output appears in the page, then the live check's
            outputs = page.locator(".jp-OutputArea-output")
            expect(outputs.filter(has_text=RUN_DONE)).to_have_count(1, timeout=180_000)
            expect(page.locator(".wb-run")).to_contain_text("I'll add a small hello router")
            expect(page.locator(".wb-run")).to_contain_text("Acceptance checks: 1/1 passed")
            expect(page.locator(".wb-run .wb-add").first).to_be_visible()
            expect(page.locator(".wb-run")).to_contain_text(
                "history/prompts/hello/0001-add-a-hello-route.green.prompt.md"
            )
            expect(outputs.filter(has_text="live check: {'hello': 'world'}")).to_have_count(
                1, timeout=60_000
            )
            expect(idle).to_be_visible(timeout=60_000)

            # the panel runs its own replay in a worker thread and draws it as it goes
            run.click()
            expect(panel.locator(".widget-html", has_text=RUN_DONE)).to_have_count(
                1, timeout=180_000
            )
            expect(panel).to_contain_text("submit_result")
            panel.locator(".lm-TabBar-tabLabel", has_text="Checks").click()
            expect(panel).to_contain_text("Acceptance checks: 1/1 passed")
            # with the server's news feed off, no first-start question covers the outputs
            expect(page.get_by_text(NEWS_QUESTION)).to_have_count(0)
            panel.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOT))

            # ask mode: each edit waits in the panel for Approve or Reject (with a reason)
            review = page.locator(".workbench-panel").nth(1)
            review.locator("button", has_text=re.compile(r"^\s*Run\s*$")).click()
            pending = review.locator(".workbench-review")
            expect(pending).to_be_visible(timeout=120_000)
            expect(pending).to_contain_text(
                "Review this edit: create sandbox_app/api/routes/hello.py"
            )
            expect(pending.locator(".wb-add").first).to_be_visible()
            review.locator("input[placeholder^='Why reject']").fill(REJECT_REASON)
            review.scroll_into_view_if_needed()
            page.screenshot(path=str(REVIEW_SCREENSHOT))
            review.locator("button", has_text=re.compile(r"^\s*Reject\s*$")).click()
            expect(review).to_contain_text("The user rejected this create", timeout=60_000)
            approve = review.locator("button", has_text=re.compile(r"^\s*Approve\s*$"))
            for _ in range(2):  # the router's edit and the test file
                expect(pending).to_be_visible(timeout=60_000)
                approve.click()
            ended = review.locator(".widget-html", has_text="incomplete: contract submitted")
            expect(ended.first).to_be_visible(timeout=120_000)
            assert not (lab.root / "ws_review/sandbox_app/api/routes/hello.py").exists()
            assert (lab.root / "ws_review/tests/test_hello.py").exists()
        except Exception:
            page.screenshot(path=str(SCREENSHOT.with_name("jupyterlab-failure.png")))
            print(lab.log.read_text()[-5000:])
            raise
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000
    assert REVIEW_SCREENSHOT.stat().st_size > 10_000
