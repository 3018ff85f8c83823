"""The agent in JupyterLab's chat, in a real browser, offline as a fresh clone is.

A `.chat` file opens in the chat sidebar; the persona picker already names the agent (the
server setting `make install` writes); a message mentioning `@fastapi-backend-agent` gets
the clear "no key" answer, and `/tour` replays the tour's scripted session in the chat, with
its label, its Execution Contract and its per-file diff. A screenshot is kept.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_jupyterlab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    require_chromium,
    stop,
    wait_for_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "artifacts" / "browser" / "chat.png"  # the checks and the diff
CONTRACT_SCREENSHOT = SCREENSHOT.with_name("chat-contract.png")
SIDEBAR_SCREENSHOT = SCREENSHOT.with_name("chat-sidebar.png")  # the sidebar alone (docs)
CHAT = "agent.chat"
MENTION = "@fastapi-backend-agent"
EMPTY_CHAT = {"messages": [], "users": {}, "attachments": {}, "metadata": {}}


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    root = tmp_path / "root"
    root.mkdir()
    (root / CHAT).write_text(json.dumps(EMPTY_CHAT), encoding="utf-8")
    jupyter = tmp_path / "jupyter"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "WORKBENCH_MODE", "CI")
    }
    env.update(
        JUPYTER_CONFIG_DIR=str(jupyter / "config"),
        JUPYTER_DATA_DIR=str(jupyter / "data"),
        JUPYTER_RUNTIME_DIR=tempfile.mkdtemp(prefix="jr-"),
        WORKBENCH_HISTORY=str(tmp_path / "history"),
        WORKBENCH_STATE_DIR=str(tmp_path / "state"),
        WORKBENCH_REPO_DOTENV="0",
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
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp_path / "jupyterlab.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base, token, server, log)
        yield base, token, log
    finally:
        stop(server)


def open_chat(page, tab, side) -> None:
    """Open the chat file in the sidebar through its chat selector (the list fills late)."""
    search = side.locator("input.jp-chat-search-input")
    choice = page.locator(f"li.jp-chat-selector-popup-item[data-chat-name='{CHAT[:-5]}']")
    for _ in range(15):
        if not side.is_visible():
            tab.click()
            page.wait_for_timeout(500)
        search.click()
        search.fill(CHAT[:-5])
        try:
            choice.click(timeout=1500)
            return
        except Exception:
            search.press("Escape")
            page.wait_for_timeout(1000)
    raise AssertionError(f"{CHAT} never showed in the chat selector")


def send(page, text: str) -> None:
    box = page.locator("#JupyterlabChat\\:sidepanel textarea").first
    box.click()
    box.fill(f"{MENTION} {text}")
    box.press("Enter")
    for _ in range(3):  # an Enter may first pick from the slash-command completions
        page.wait_for_timeout(700)
        if not box.input_value():
            return
        box.press("Enter")
    raise AssertionError(f"the chat input kept {box.input_value()!r}")


def test_the_chat_sidebar_talks_to_the_agent(lab) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    base, token, log = lab
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        try:
            page.goto(f"{base}/lab?reset&token={token}")
            tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="JupyterlabChat:sidepanel"]')
            side = page.locator("#JupyterlabChat\\:sidepanel")
            expect(tab).to_be_visible(timeout=90_000)
            open_chat(page, tab, side)
            expect(side.locator(".jp-chat-sidepanel-widget-title")).to_have_text("agent")
            # the persona picker starts on the agent (its name and avatar)
            expect(side).to_contain_text("fastapi-backend", timeout=30_000)
            handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
            box = handle.bounding_box()  # dragged right: a wider sidebar
            page.mouse.move(box["x"] + 2, box["y"] + 300)
            page.mouse.down()
            page.mouse.move(1000, box["y"] + 300, steps=5)
            page.mouse.up()

            send(page, "Add a GET /api/ping route")
            messages = side.locator(".jp-chat-rendered-message")
            expect(messages.filter(has_text="No model to answer")).to_have_count(1, timeout=60_000)
            expect(side.locator("img[alt='fastapi-backend-agent']").first).to_be_visible()

            send(page, "/tour")
            expect(side).to_contain_text("REPLAY OF A SCRIPTED SESSION", timeout=60_000)
            contract = side.locator("h3", has_text="Execution Contract")
            expect(contract).to_be_visible(timeout=240_000)
            expect(side).to_contain_text("Acceptance checks: 2/2 passed")
            diff = side.locator("pre", has_text="+++ b/sandbox_app/api/routes/version.py")
            expect(diff.first).to_be_attached()
            expect(side).to_contain_text("estimates: a scripted session calls no model")
            expect(side).to_contain_text("Prompt History Record")
            contract.scroll_into_view_if_needed()
            page.screenshot(path=str(CONTRACT_SCREENSHOT))
            side.locator("p", has_text="Acceptance checks: 2/2 passed").scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOT))
            side.screenshot(path=str(SIDEBAR_SCREENSHOT))
        except Exception:
            page.screenshot(path=str(SCREENSHOT.with_name("chat-failure.png")))
            print(log.read_text()[-5000:])
            raise
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000
    assert CONTRACT_SCREENSHOT.stat().st_size > 10_000
