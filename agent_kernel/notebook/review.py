"""Reviewing in the panel: Approve / Reject an edit (ask mode), queue a message, accept a plan.

The behaviour is in `ReviewController`, a mixin of the panel's controller (plain Python,
tested without a browser); `ReviewBox` draws it. An edit waits in the run's worker thread on a
`threading.Event` until a button answers it; with no answer in time (or on Stop) nobody has
approved it, and the run ends `incomplete` saying so.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from ..tools.permissions import Approval, EditProposal, accept_plan_prompt
from .display import diff_html


class ReviewController:
    """Mixed into `PanelController`: it provides `workbench`, `answer_timeout`, `_notify`,
    `_set_status`, `on_run`, `running` and `result`."""

    workbench: Any
    answer_timeout: float
    result: Any

    def init_review(self) -> None:
        self.proposal: EditProposal | None = None
        self._decision: Approval | None = None
        self._decided = threading.Event()
        self._review_lock = threading.Lock()
        self.queued: list[str] = []

    # -- ask mode -------------------------------------------------------------------------

    def approve(self, proposal: EditProposal) -> Approval | None:
        """The approver of a panel run: answers given up front first, then the buttons."""
        given = getattr(self.workbench, "approver", None)
        decision = given(proposal) if given is not None else None
        if decision is not None:
            return decision
        with self._review_lock:
            self._decided.clear()
            self._decision = None
            self.proposal = proposal
        self._set_status(f"waiting for your review of the {proposal.command} of {proposal.path}…")
        self._notify("review")
        decided = self._decided.wait(self.answer_timeout)
        with self._review_lock:
            decision = self._decision if decided else None
            self.proposal = None
        self._notify("review")
        if not self.workbench.stop_event.is_set():
            self._set_status("running…" if decision else "no review in time: nobody approved")
        return decision

    def on_approve(self) -> bool:
        return self._decide(Approval(True))

    def on_reject(self, reason: str = "") -> bool:
        return self._decide(Approval(False, reason.strip() or "rejected in the panel"))

    def _decide(self, decision: Approval) -> bool:
        """The first answer to an edit counts; a second click finds nothing pending."""
        with self._review_lock:
            if self.proposal is None:
                return False
            self.proposal = None
            self._decision = decision
            self._decided.set()
        self._notify("review")
        return True

    def release_review(self, decision: Approval | None) -> None:
        with self._review_lock:
            self._decision = decision
            self._decided.set()

    # -- queued messages and plans --------------------------------------------------------

    def on_queue(self, text: str) -> bool:
        """A message for the running agent, delivered at its next turn boundary."""
        text = (text or "").strip()
        if not text or not self.running:
            self._set_status("Queue a message while a run is going." if text else "Type first.")
            return False
        self.workbench.queue(text)
        self.queued.append(text)
        self._set_status("queued: the agent reads it at its next turn")
        return True

    @property
    def plan_ready(self) -> bool:
        result = self.result
        return bool(result and result.permission_mode == "plan" and result.contract is not None)

    def on_accept_plan(self) -> bool:
        """Carry out the last run's plan as the session's next prompt (edits accepted, or
        reviewed when the workbench's mode is ask)."""
        if not self.plan_ready:
            self._set_status("No plan to accept: run with permission_mode='plan' first.")
            return False
        mode = self.workbench.permission_mode
        prompt = accept_plan_prompt(self.result.contract.artifact_summary)
        return self.on_run(prompt, permission_mode="accept-edits" if mode == "plan" else mode)

    def on_run(
        self, prompt: str, *, permission_mode: str | None = None
    ) -> bool:  # pragma: no cover
        raise NotImplementedError

    def _notify(self, part: str) -> None:  # pragma: no cover - provided by the panel
        raise NotImplementedError

    def _set_status(self, text: str) -> None:  # pragma: no cover - provided by the panel
        raise NotImplementedError


class ReviewBox:
    """The widgets: the pending edit's diff with Approve / Reject, a queue box, Accept plan."""

    def __init__(self, w: Any, controller: ReviewController) -> None:
        self.controller = controller
        self.title = w.HTML()
        self.diff = w.HTML(layout=w.Layout(max_height="20em", overflow="auto"))
        self.reason = w.Text(placeholder="Why reject? (goes back to the agent)")
        self.approve_button = w.Button(description="Approve", button_style="success", icon="check")
        self.reject_button = w.Button(description="Reject", button_style="warning", icon="times")
        self.edit_box = w.VBox(
            [self.title, self.diff, w.HBox([self.approve_button, self.reject_button, self.reason])],
            layout=w.Layout(display="none", border="1px solid #1f6feb", padding="4px"),
        )
        self.edit_box.add_class("workbench-review")
        self.message = w.Text(placeholder="A message for the agent's next turn…")
        self.queue_button = w.Button(description="Queue message", icon="envelope")
        self.accept_button = w.Button(description="Accept plan", button_style="info", icon="list")
        self.accept_button.layout.display = "none"
        self.widget = w.VBox(
            [self.edit_box, w.HBox([self.message, self.queue_button, self.accept_button])]
        )
        self.approve_button.on_click(lambda _b: controller.on_approve())
        self.reject_button.on_click(lambda _b: self._reject())
        self.queue_button.on_click(lambda _b: self._queue())
        self.accept_button.on_click(lambda _b: controller.on_accept_plan())

    def _reject(self) -> None:
        if self.controller.on_reject(self.reason.value):
            self.reason.value = ""

    def _queue(self) -> None:
        if self.controller.on_queue(self.message.value):
            self.message.value = ""

    def sync(self, part: str) -> None:
        proposal = self.controller.proposal
        if proposal is None:
            self.edit_box.layout.display = "none"
        else:
            self.title.value = (
                f"<b>Review this edit:</b> {html.escape(proposal.command)} "
                f"<code>{html.escape(proposal.path)}</code>"
            )
            self.diff.value = diff_html(proposal.diff)
            self.edit_box.layout.display = "flex"
        ready = self.controller.plan_ready and not self.controller.running
        self.accept_button.layout.display = "" if ready else "none"
