"""The panel in ask mode: Approve / Reject an edit, queue a message, nobody there, a plan."""

from __future__ import annotations

import ipywidgets as widgets
from test_panel import finish, wait_for
from ui_support import PING, PING_PROMPT

from agent_kernel.agent.loop import QUEUED_PREFIX
from agent_kernel.notebook.panel import Panel, PanelController


def test_reject_with_a_reason_then_approve_and_a_queued_message(make_wb, offline):
    wb = make_wb(PING, permission_mode="ask")
    controller = PanelController(wb)
    assert controller.on_run(PING_PROMPT)

    wait_for(lambda: controller.proposal is not None)
    first = controller.proposal
    assert (first.command, first.path) == ("create", "sandbox_app/api/routes/ping.py")
    assert "+" in first.diff and "waiting for your review" in controller.status
    assert controller.on_queue("Keep the route under /api.")
    assert controller.on_reject("call the module pong.py")
    wait_for(lambda: controller.proposal is not None and controller.proposal is not first)
    while controller.running:
        if controller.proposal is not None:
            controller.on_approve()
        wait_for(lambda: controller.proposal is not None or not controller.running)
    finish(controller)

    result = controller.result
    assert [a["approved"] for a in result.approvals] == [False, True, True]
    assert not (wb.workspace.root / "sandbox_app/api/routes/ping.py").exists()
    rejected = result.tool_trace[1]
    assert rejected.is_error and "call the module pong.py" in rejected.output
    sent = wb.handle.replay.requests[2]["messages"][-1]["content"]
    assert sent[-1]["text"] == QUEUED_PREFIX + "Keep the route under /api."


def test_nobody_reviewing_in_time_ends_the_run_incomplete(make_wb, offline):
    wb = make_wb(PING, permission_mode="ask")
    controller = PanelController(wb, answer_timeout=0.2)
    assert controller.on_run(PING_PROMPT)
    finish(controller)
    assert controller.result.status == "incomplete"
    assert "nobody was there to approve" in controller.result.reason
    assert controller.result.files_changed == []


def test_the_review_widgets_answer_through_the_controller(make_wb, offline):
    wb = make_wb(PING, permission_mode="ask")
    panel = Panel(wb, min_interval=0)
    assert isinstance(panel.review.approve_button, widgets.Button)
    assert panel.review.edit_box.layout.display == "none"
    panel.controller.on_run(PING_PROMPT)
    wait_for(lambda: panel.controller.proposal is not None)
    assert panel.review.edit_box.layout.display == "flex"
    assert "sandbox_app/api/routes/ping.py" in panel.review.title.value
    panel.review.reason.value = "not yet"
    panel.review.reject_button.click()
    wait_for(lambda: panel.controller.proposal is not None or not panel.controller.running)
    while panel.controller.running:
        if panel.controller.proposal is not None:
            panel.review.approve_button.click()
        wait_for(lambda: panel.controller.proposal is not None or not panel.controller.running)
    finish(panel.controller)
    assert panel.review.reason.value == ""
    assert panel.controller.result.approvals[0] == {
        "command": "create",
        "path": "sandbox_app/api/routes/ping.py",
        "approved": False,
        "reason": "not yet",
    }
