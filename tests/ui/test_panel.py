"""The widget panel: its callbacks as plain functions (no browser), then the widgets."""

from __future__ import annotations

import threading
import time

import ipywidgets as widgets
import pytest
from ui_support import ASK, ASK_PROMPT, PING, PING_PROMPT

from agent_kernel.notebook.panel import TAB_TITLES, Panel, PanelController


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def finish(controller: PanelController) -> None:
    assert controller.wait(120), "the run did not finish"
    assert not controller.running


def test_run_happens_in_a_worker_and_fills_the_tabs(make_wb, offline):
    wb = make_wb(PING)
    controller = PanelController(wb)
    parts: list[str] = []
    controller.listeners.append(parts.append)
    assert controller.mode.kind == "scripted"
    assert controller.default_prompt() == PING_PROMPT

    assert controller.on_run(PING_PROMPT) is True
    assert controller.running, "on_run returns at once; the run goes on in a worker thread"
    assert controller.thread is not None and controller.thread is not threading.current_thread()
    assert controller.on_run(PING_PROMPT) is False
    assert "already" in controller.status
    finish(controller)

    assert controller.status.startswith("✔ ok: contract submitted")
    assert controller.result is wb.last_result and controller.result.ok
    assert "Surface and success" in controller.tabs["Contract"]
    assert 'class="wb-add"' in controller.tabs["Diff"]
    assert "sandbox_app/api/routes/ping.py" in controller.tabs["Diff"]
    assert ">PASS<" in controller.tabs["Checks"]
    assert "history/prompts/ping/0001-add-a-ping-route.green.prompt.md" in controller.tabs["PHR"]
    assert controller.phr_location() == "history/prompts/ping/0001-add-a-ping-route.green.prompt.md"
    assert "→ <b>submit_result</b>" in controller.stream_html()
    assert {"mode", "status", "stream", "result", "adr"} <= set(parts)

    assert controller.adr_suggestions and "Keep probes" in controller.adr_suggestions[0]
    path = controller.on_create_adr()
    assert path is not None and path.is_file()
    assert path.parent == offline / "adr"
    assert (
        controller.adr_message
        == "ADR written: history/adr/0001-keep-probes-in-their-own-routers.md"
    )
    assert "Keep probes in their own routers" in path.read_text(encoding="utf-8")


def test_a_question_is_answered_in_place_while_the_run_waits(make_wb):
    controller = PanelController(make_wb(ASK))
    assert controller.on_answer("too early") is False
    controller.on_run(ASK_PROMPT)
    wait_for(lambda: controller.question is not None)
    assert controller.question == (
        "Which pagination style should the API use?",
        ["limit/offset", "cursor"],
    )
    assert controller.status == "waiting for your answer…"
    assert controller.running
    assert controller.on_answer("  cursor ") is True
    finish(controller)
    assert controller.question is None
    asked = [t for t in controller.result.tool_trace if t.name == "ask_user"]
    assert asked[0].output == "The user answered: cursor"
    assert controller.result.ok
    # the code reference in the agent's text is shown as the workspace's lines 11-13
    assert "health.py</code> lines 11-13" in controller.stream_html()
    assert "session.execute(text(" in controller.stream_html()


def test_an_unanswered_question_times_out_and_the_agent_assumes(make_wb):
    controller = PanelController(make_wb(ASK), answer_timeout=0.3)
    controller.on_run(ASK_PROMPT)
    finish(controller)
    asked = [t for t in controller.result.tool_trace if t.name == "ask_user"]
    assert asked[0].output.startswith("Nobody is available to answer")
    assert controller.result.ok


def test_answers_given_up_front_come_before_the_panel(make_wb):
    controller = PanelController(make_wb(ASK, answers={"pagination style": "limit/offset"}))
    controller.on_run(ASK_PROMPT)
    finish(controller)
    asked = [t for t in controller.result.tool_trace if t.name == "ask_user"]
    assert asked[0].output == "The user answered: limit/offset"


def test_stop_ends_a_waiting_run(make_wb):
    wb = make_wb(ASK)
    controller = PanelController(wb)
    controller.on_stop()
    assert controller.status == "Nothing is running."
    controller.on_run(ASK_PROMPT)
    wait_for(lambda: controller.question is not None)
    controller.on_stop()
    assert wb.stop_event.is_set()
    finish(controller)
    assert controller.result.status == "incomplete"
    assert controller.result.reason == "stopped by the user"
    assert controller.status.startswith("✘ incomplete: stopped by the user")
    assert controller.adr_suggestions == []


def test_bad_clicks_say_why(make_wb, tmp_path):
    controller = PanelController(make_wb(PING))
    assert controller.on_run("   ") is False
    assert controller.status == "Type a prompt first."
    assert controller.on_create_adr() is None
    assert controller.adr_message.startswith("No ADR written: the last run suggested no ADR")

    from agent_kernel import Workbench

    nowhere = Workbench(workspace=tmp_path / "other", history=tmp_path / "h")  # auto, no key
    stuck = PanelController(nowhere)
    assert stuck.mode.kind == "unavailable"
    assert stuck.on_run("hello") is True
    finish(stuck)
    assert stuck.status.startswith("error: ModeError: replay needs a cassette")
    assert "The run failed" in stuck.tabs["Contract"]


def test_one_run_at_a_time_per_workbench(make_wb):
    wb = make_wb(ASK)
    gate = threading.Event()

    def slow_answer(question: str, choices: list[str] | None) -> str | None:
        gate.wait(30)
        return "cursor"

    done: list = []
    thread = wb.start(ASK_PROMPT, answer=slow_answer, on_done=lambda r, e: done.append((r, e)))
    wait_for(lambda: wb.running)
    with pytest.raises(RuntimeError, match="already running"):
        wb.run(ASK_PROMPT)
    with pytest.raises(RuntimeError, match="already running"):
        wb.start(ASK_PROMPT)
    gate.set()
    thread.join(120)
    assert not wb.running
    result, error = done[0]
    assert error is None and result.ok and wb.last_result is result


# -- the widgets -----------------------------------------------------------------------------


def test_panel_widgets_show_the_controller_state(make_wb):
    wb = make_wb(PING)
    widget = wb.panel()
    assert isinstance(widget, widgets.VBox)
    assert "workbench-panel" in widget._dom_classes

    panel = Panel(wb, min_interval=0.0)
    assert panel.prompt.value == PING_PROMPT
    assert (panel.run_button.description, panel.stop_button.description) == ("Run", "Stop")
    assert panel.stop_button.disabled and not panel.run_button.disabled
    assert tuple(panel.tabs.titles) == TAB_TITLES
    assert "SCRIPTED SESSION" in panel.mode.value
    assert panel.adr_box.layout.display == "none"
    assert panel.question_box.layout.display == "none"

    panel.run_button.click()
    assert panel.run_button.disabled and not panel.stop_button.disabled
    finish(panel.controller)
    assert not panel.run_button.disabled and panel.stop_button.disabled
    assert "✔ ok" in panel.status.value
    assert "submit_result" in panel.stream.value
    assert ">PASS<" in panel.tab_html["Checks"].value
    assert "wb-add" in panel.tab_html["Diff"].value
    assert "history/prompts/ping/" in panel.tab_html["PHR"].value
    assert panel.adr_box.layout.display == "flex"
    assert "Architectural decision detected" in panel.adr_status.value

    panel.adr_button.click()
    assert "ADR written: history/adr/0001-keep-probes" in panel.adr_status.value
    assert panel.adr_button.disabled


def test_panel_question_buttons_answer_the_agent(make_wb):
    panel = Panel(make_wb(ASK), min_interval=0.0)
    panel.prompt.value = ASK_PROMPT
    panel.run_button.click()
    wait_for(lambda: panel.question_box.layout.display == "flex")
    assert "Which pagination style" in panel.question_label.value
    labels = [button.description for button in panel.choices.children]
    assert labels == ["limit/offset", "cursor"]
    panel.choices.children[1].click()
    finish(panel.controller)
    assert panel.question_box.layout.display == "none"
    asked = [t for t in panel.controller.result.tool_trace if t.name == "ask_user"]
    assert asked[0].output == "The user answered: cursor"


def test_panel_text_answer(make_wb):
    panel = Panel(make_wb(ASK), min_interval=0.0)
    panel.controller.on_run(ASK_PROMPT)
    wait_for(lambda: panel.question_box.layout.display == "flex")
    panel.answer_text.value = "keyset, please"
    panel.answer_button.click()
    finish(panel.controller)
    assert panel.answer_text.value == ""
    asked = [t for t in panel.controller.result.tool_trace if t.name == "ask_user"]
    assert asked[0].output == "The user answered: keyset, please"


def test_the_memory_tab_shows_what_a_run_is_given_and_the_checks_tab_its_red_green(
    make_wb, offline
):
    wb = make_wb(PING)
    controller = PanelController(wb)
    assert "<code>CLAUDE.md</code>" in controller.tabs["Memory"]  # before any run
    assert "project memory" in controller.tabs["Memory"]
    (wb.workspace.root / "AGENTS.md").write_text("Answer 201 on create.\n")
    assert controller.on_run(PING_PROMPT) is True
    finish(controller)
    assert "<code>AGENTS.md</code>" in controller.tabs["Memory"]
    assert "Red before green" in controller.tabs["Checks"]
    assert "tests/test_ping.py::test_ping" in controller.tabs["Checks"]
    assert "proven" in controller.tabs["Checks"]
