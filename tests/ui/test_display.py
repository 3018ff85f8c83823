"""The run's display: progressive rich output in a notebook, plain text everywhere else."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from IPython.lib.pretty import pretty
from ui_support import OFFLINE_ENV, PING, PING_PROMPT

from agent_kernel import Workbench
from agent_kernel.agent.events import RunFinished, TextDelta, ToolCalled, ToolFinished, TurnStarted
from agent_kernel.notebook import display
from agent_kernel.notebook.display import (
    SHOWN_AT_ONCE,
    NotebookRenderer,
    RunView,
    TerminalRenderer,
    describe_mode,
    diff_html,
    live_renderer,
    mode_info,
    phr_location,
)
from agent_kernel.settings import reload_settings


@pytest.fixture(scope="module")
def ping(tmp_path_factory: pytest.TempPathFactory):
    """One real replay run of the ping session; its events are replayed into each renderer."""
    root = tmp_path_factory.mktemp("ping")
    with pytest.MonkeyPatch.context() as mp:
        for name in OFFLINE_ENV:
            mp.delenv(name, raising=False)
        mp.chdir(root)
        reload_settings()
        wb = Workbench(
            workspace=root / "ws", history=root / "history", mode="replay", cassette=PING
        )
        events: list = []
        result = wb.run(PING_PROMPT, observers=[events.append])
    reload_settings()
    assert result.status == "ok", result.reason
    return wb, events, result


class FakeHandle:
    def __init__(self, bundle: dict) -> None:
        self.bundles = [bundle]

    def update(self, bundle: dict, *, raw: bool) -> None:
        assert raw
        self.bundles.append(bundle)


def fake_display(handles: list[FakeHandle]):
    def show(bundle: dict, *, raw: bool, display_id: bool) -> FakeHandle:
        assert raw and display_id
        handle = FakeHandle(bundle)
        handles.append(handle)
        return handle

    return show


def test_notebook_renderer_updates_one_display_in_place(ping):
    wb, events, _result = ping
    handles: list[FakeHandle] = []
    renderer = NotebookRenderer(
        RunView(wb.workspace, wb.history_dir), min_interval=0.0, display=fake_display(handles)
    )
    for event in events:
        renderer(event)
    assert len(handles) == 1, "one display, updated in place"
    bundles = handles[0].bundles
    assert len(bundles) == len(events)
    for bundle in bundles:
        assert set(bundle) == {"text/plain", "text/html"}

    # while running: the mode line and a progress line with the turn, tokens and cost
    early = bundles[3]["text/plain"]
    assert "▶ REPLAY · SCRIPTED SESSION" in early
    assert "not a model answer" in early
    assert "To go live, set ANTHROPIC_API_KEY" in early
    assert "… turn 1 ·" in early and "tokens" in early and "$" in early
    assert "⏳ turn 1" in bundles[3]["text/html"]


def test_final_output_has_stream_tools_contract_checks_diff_phr_and_adr(ping):
    wb, events, result = ping
    view = RunView(wb.workspace, wb.history_dir)
    for event in events:
        view(event)
    text, page = view.text(), view.html()

    # streamed text, each tool call and its outcome
    assert "The health route lives in 1:4:sandbox_app/api/routes/health.py" in text
    assert "→ str_replace_based_edit_tool: create sandbox_app/api/routes/ping.py" in text
    assert "✓ Created sandbox_app/api/routes/ping.py" in text
    assert "→ submit_result: Execution Contract" in text
    # code references shown as the real workspace lines
    assert "--- sandbox_app/api/routes/health.py lines 1-4" in text
    assert "1 | from fastapi import APIRouter" in text
    assert "--- sandbox_app/api/routes/ping.py lines 7-8" in text
    assert '8 |     return {"ping": "pong"}' in text
    # the closing sections
    assert "✔ ok: contract submitted; every acceptance check passed · 3 turns" in text
    assert "Surface and success: GET /api/ping answers 200" in text
    assert "Acceptance checks: 1/1 passed" in text
    assert "[PASS] GET /api/ping returns pong (tests/test_ping.py::test_ping)" in text
    assert "== Diff (files changed: sandbox_app/api/router.py" in text
    assert "+api_router.include_router(ping.router)" in text
    assert (
        "Prompt History Record: history/prompts/ping/0001-add-a-ping-route.green.prompt.md" in text
    )
    assert "Architectural decision detected: Keep probes in their own routers" in text
    assert "⏳" not in page and "… turn" not in text, "no progress line once finished"
    # the same as HTML
    assert 'class="wb-add"' in page and "include_router(ping.router)" in page
    assert ">PASS<" in page
    assert "history/prompts/ping/0001-add-a-ping-route.green.prompt.md" in page
    assert 'class="wb-code-ref"' in page
    assert result.phr_path is not None and result.phr_path.is_file()


def test_events_before_a_wait_are_shown_at_once_the_rest_throttled(ping):
    """Turn starts, calls of tools that may take a while, notices and the end: at once."""
    wb, events, _ = ping
    handles: list[FakeHandle] = []
    renderer = NotebookRenderer(
        RunView(wb.workspace), min_interval=3600, display=fake_display(handles)
    )
    shown_states = []
    for event in events:
        before = renderer.updates
        renderer(event)
        if renderer.updates > before:
            shown_states.append(type(event))
    for _ in range(50):
        renderer(TextDelta("more "))

    assert isinstance(events[-1], RunFinished)
    at_once = [e for e in events if isinstance(e, SHOWN_AT_ONCE) and not getattr(e, "quick", 0)]
    assert shown_states == [type(e) for e in at_once]
    assert ToolCalled in shown_states and TurnStarted in shown_states
    # A call of a tool that may take a while (submit_result runs the checks) is shown before
    # its result; the editor's calls, done in milliseconds, wait for the next update.
    calls = [e for e in events if isinstance(e, ToolCalled)]
    assert {e.name for e in calls if e.quick} == {"str_replace_based_edit_tool"}
    assert {e.name for e in calls if not e.quick} == {"submit_result"}
    assert [e.name for e in at_once if isinstance(e, ToolCalled)] == ["submit_result"]
    assert ToolFinished in {type(e) for e in events}  # throttled, yet in the final view:
    final = handles[0].bundles[-1]["text/html"]
    assert "✓" in final and final.count('class="wb-tool"') == sum(
        isinstance(e, ToolCalled) for e in events
    )


def test_a_quiet_interval_lets_any_event_through(ping):
    wb, events, _ = ping
    handles: list[FakeHandle] = []
    renderer = NotebookRenderer(
        RunView(wb.workspace), min_interval=0.0, display=fake_display(handles)
    )
    for event in events:
        renderer(event)
    assert renderer.updates == len(events)


def test_terminal_renderer_prints_the_run_then_the_closing_sections(ping):
    wb, events, _ = ping
    out = io.StringIO()
    renderer = TerminalRenderer(RunView(wb.workspace, wb.history_dir), out)
    for event in events:
        renderer(event)
    text = out.getvalue()
    assert text.startswith("== replay of a scripted session ping.yaml")
    assert "To go live, set ANTHROPIC_API_KEY" in text
    assert "→ str_replace_based_edit_tool: create sandbox_app/api/routes/ping.py" in text
    assert "== ok: contract submitted" in text
    assert "== Code referenced" in text and '8 |     return {"ping": "pong"}' in text
    assert "[PASS] GET /api/ping returns pong" in text
    assert "+api_router.include_router(ping.router)" in text
    assert "history/prompts/ping/0001-add-a-ping-route.green.prompt.md" in text


def test_live_renderer_picks_the_notebook_or_the_terminal(ping, monkeypatch):
    wb, _, _ = ping
    assert isinstance(live_renderer(wb), TerminalRenderer)
    monkeypatch.setattr(display, "in_notebook", lambda: True)
    assert isinstance(live_renderer(wb), NotebookRenderer)


def test_run_result_shows_a_short_summary(ping):
    _, _, result = ping
    text = pretty(result)
    assert text.startswith("RunResult ✔ ok: contract submitted")
    assert "replay (scripted)" in text and "1/1 checks passed" in text
    assert "sandbox_app/api/routes/ping.py" in text
    page = result._repr_html_()
    assert "RunResult" in page and "details: .contract" in page


def test_mode_lines_say_where_the_answers_come_from():
    scripted = mode_info("replay", "scripted", "replay of a scripted session x.yaml", has_key=False)
    assert scripted.kind == "scripted" and "SCRIPTED" in scripted.text()
    assert "To go live" in scripted.notice
    recorded = mode_info("replay", "recorded", "replay of a recorded session", has_key=True)
    assert recorded.kind == "recorded" and "RECORDED" in recorded.text()
    assert recorded.notice == ""
    assert mode_info("live", "live", "live", has_key=True).text().startswith("● LIVE — live")
    assert "RECORDING" in mode_info("record", "live", "live (recording)").badge
    auto = mode_info("replay", "scripted", "x", "No ANTHROPIC_API_KEY: running offline.")
    assert auto.notice == "No ANTHROPIC_API_KEY: running offline."
    assert "wb-mode-scripted" in scripted.html()


def test_describe_mode_never_raises(tmp_path, monkeypatch):
    wb = Workbench(workspace=tmp_path / "ws", history=tmp_path / "h", mode="auto")
    info = describe_mode(wb)
    assert info.kind == "unavailable"
    assert "cassette" in info.label and "To go live" in info.notice
    assert "cassette" in wb.mode_label

    auto = Workbench(workspace=tmp_path / "ws", history=tmp_path / "h", cassette=PING)
    info = describe_mode(auto)
    assert info.kind == "scripted"
    assert "No ANTHROPIC_API_KEY" in info.notice and "To go live" in info.notice

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-" + "k" * 8)
    reload_settings()
    live = describe_mode(auto)
    assert live.kind == "live" and "ANTHROPIC_API_KEY found" in live.notice
    assert os.environ["ANTHROPIC_API_KEY"] not in live.text()


def test_diff_html_colours_additions_and_removals():
    diff = (
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n"
        " keep\n-old <line>\n+new <line>\n"
    )
    page = diff_html(diff)
    removed = 'class="wb-del" style="display:block;background:#ffebe9;color:#82071e">-old &lt;'
    added = 'class="wb-add" style="display:block;background:#e6ffec;color:#116329">+new &lt;'
    assert removed in page and added in page
    assert '<span class="" style="display:block;color:#57606a">+++ b/x.py</span>' in page
    assert "No changes" in diff_html("")


def test_phr_location_is_relative_to_the_history_folder_parent(tmp_path):
    class R:
        phr_path = tmp_path / "history" / "prompts" / "general" / "0001-x.general.prompt.md"

    assert (
        phr_location(R(), tmp_path / "history")
        == "history/prompts/general/0001-x.general.prompt.md"
    )
    assert phr_location(R(), tmp_path / "elsewhere" / "history") == str(R.phr_path)
    assert phr_location(R()) == str(Path(R.phr_path))


def test_streamed_text_is_redacted_in_what_the_notebook_shows():
    canary = "sk-ant-" + "api03-" + "Q" * 40
    view = RunView()
    view(TextDelta(f"the key is {canary} "))
    view(TextDelta("and that is all"))
    bundle = view.bundle()
    assert canary not in bundle["text/plain"] and canary not in bundle["text/html"]
    assert "and that is all" in bundle["text/plain"]


def test_a_secret_learnt_after_a_render_is_redacted_in_the_next_one():
    from agent_kernel.agent.events import ToolCalled, ToolFinished
    from agent_kernel.history.redaction import register_secret, unregister_secret

    secret = "plain-" + os.urandom(8).hex()  # no pattern knows it: only registration can
    view = RunView()
    view(ToolCalled("t1", "run_tests", {}))
    view(ToolFinished("t1", "run_tests", f"connected with {secret}", False, 0.1))
    assert secret in view.bundle()["text/html"]  # not a secret yet, as far as anyone knows

    register_secret(secret)
    try:
        bundle = view.bundle()
    finally:
        unregister_secret(secret)
    assert secret not in bundle["text/html"] and secret not in bundle["text/plain"]
    assert "connected with [REDACTED]" in bundle["text/html"]
