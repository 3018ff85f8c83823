"""The notebook panel: a prompt, the mode, Run and Stop, the streamed work, the result tabs.

All the behaviour lives in `PanelController`, plain Python with no widgets, so it is tested
without a browser; `Panel` only draws the controller's state with ipywidgets and forwards
clicks to it. The run happens in a worker thread (`Workbench.start`), so the kernel's event
loop stays free: the widgets keep answering, Stop works, and an `ask_user` question waits
in the worker (on a `threading.Event`) until it is answered in place or times out.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..agent.events import Event, RunStarted
from .display import (
    ModeInfo,
    RunView,
    checks_html,
    contract_html,
    describe_mode,
    diff_html,
    memory_html,
    mode_info,
    phr_html,
    phr_location,
    red_green_html,
    stage_html,
    status_text,
)
from .review import ReviewBox, ReviewController

TAB_TITLES = ("Contract", "Diff", "Checks", "PHR", "Memory")
Listener = Callable[[str], None]


class PanelController(ReviewController):
    """What the panel does on each click, and the state it shows (tested without widgets).

    Listeners are told which part changed: "mode", "status", "stream", "question",
    "result" or "adr".
    """

    def __init__(self, workbench: Any, *, answer_timeout: float = 300.0) -> None:
        self.workbench = workbench
        self.answer_timeout = answer_timeout
        self.listeners: list[Listener] = []
        self.mode: ModeInfo = describe_mode(workbench)
        self.status = "ready"
        self.view: RunView | None = None
        self.question: tuple[str, list[str] | None] | None = None
        self.result: Any = None
        self.error = ""
        self.tabs: dict[str, str] = dict.fromkeys(TAB_TITLES, "<i>No run yet.</i>")
        self.tabs["Memory"] = self.render_memory()  # what the first run will be given
        self.adr_suggestions: list[str] = []
        self.adr_message = ""
        self.thread: threading.Thread | None = None
        self._active = False
        self._answer: str | None = None
        self._answered = threading.Event()
        self._lock = threading.Lock()
        self.init_review()

    # -- plumbing -------------------------------------------------------------------------

    def _notify(self, part: str) -> None:
        for listener in list(self.listeners):
            with contextlib.suppress(Exception):  # a drawing glitch must not stop the run
                listener(part)

    def _set_status(self, text: str) -> None:
        self.status = text
        self._notify("status")

    @property
    def running(self) -> bool:
        """True from a successful Run until the run's result (or error) is in."""
        return self._active

    def default_prompt(self) -> str:
        """The prompt the session was made for, when the cassette says it (else empty)."""
        handle = getattr(self.workbench, "handle", None)
        cassette = getattr(handle, "cassette", None)
        return getattr(cassette, "prompt", None) or ""

    # -- callbacks ------------------------------------------------------------------------

    def on_run(self, prompt: str, *, permission_mode: str | None = None) -> bool:
        """Start a run in a worker thread; False (with a status saying why) if it cannot."""
        prompt = (prompt or "").strip()
        if not prompt:
            self._set_status("Type a prompt first.")
            return False
        if self.running or self.workbench.running:
            self._set_status("A run is already going; press Stop or wait for it.")
            return False
        self.view = RunView(self.workbench.workspace, self.workbench.history_dir)
        self.result, self.error, self.question = None, "", None
        self.adr_suggestions, self.adr_message = [], ""
        self._answered.clear()
        self.tabs = dict.fromkeys(TAB_TITLES, "<i>Running…</i>")
        self._active = True
        self._set_status("running…")
        self._notify("result")
        self._notify("adr")
        try:
            self.thread = self.workbench.start(
                prompt,
                observers=[self.observe],
                answer=self.ask,
                on_done=self._done,
                permission_mode=permission_mode,
                approver=self.approve,
            )
        except Exception as exc:
            self._active = False
            self.error = f"{type(exc).__name__}: {exc}"
            self._set_status(f"Could not start: {self.error}")
            return False
        return True

    def on_stop(self) -> None:
        """Ask the run to stop at its next safe point; a pending question is let go."""
        if not self.running:
            self._set_status("Nothing is running.")
            return
        self.workbench.stop()
        self._release(None)
        self.release_review(None)
        self._set_status("stopping at the next safe point…")

    def on_answer(self, text: str | None) -> bool:
        """Answer the pending question (empty text: let the agent assume). False if none."""
        if self.question is None:
            return False
        answer = (text or "").strip() or None
        self._release(answer)
        return True

    def on_create_adr(self, title: str | None = None) -> Path | None:
        """Write the ADR the last run suggested (only on this explicit request)."""
        try:
            path = self.workbench.create_adr(title)
        except Exception as exc:
            self.adr_message = f"No ADR written: {exc}"
            self._notify("adr")
            return None
        base = Path(self.workbench.history_dir).resolve().parent
        try:
            shown = Path(path).resolve().relative_to(base).as_posix()
        except ValueError:
            shown = str(path)
        self.adr_message = f"ADR written: {shown}"
        self._notify("adr")
        return Path(path)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker to finish; True when it did."""
        if self.thread is not None:
            self.thread.join(timeout)
        return self.thread is None or not self.thread.is_alive()

    # -- the worker's side ----------------------------------------------------------------

    def observe(self, event: Event) -> None:
        if self.view is None:
            return
        self.view(event)
        if isinstance(event, RunStarted):
            self.mode = mode_info(event.mode, event.source, event.label, event.notice)
            self._notify("mode")
        self._notify("stream")

    def ask(self, question: str, choices: list[str] | None) -> str | None:
        """The answer provider: shows the question and blocks the worker until answered.

        Returns None (the agent then proceeds on stated assumptions) on timeout or Stop.
        """
        with self._lock:
            self._answered.clear()
            self._answer = None
            self.question = (question, list(choices) if choices else None)
        self._set_status("waiting for your answer…")
        self._notify("question")
        answered = self._answered.wait(self.answer_timeout)
        with self._lock:
            answer = self._answer if answered else None
            self.question = None
        self._notify("question")
        if not self.workbench.stop_event.is_set():
            self._set_status("running…" if answered else "no answer in time; the agent assumes")
        return answer

    def _release(self, answer: str | None) -> None:
        with self._lock:
            self._answer = answer
            self._answered.set()

    def _done(self, result: Any, error: BaseException | None) -> None:
        self.result = result
        self._active = False
        if error is not None:
            self.error = f"{type(error).__name__}: {error}"
            self._set_status(f"error: {self.error}")
            self.tabs = dict.fromkeys(TAB_TITLES, f"<i>The run failed: {self.error}</i>")
        else:
            self.tabs = {
                "Contract": self.render_contract(result),
                "Diff": self.render_diff(result),
                "Checks": self.render_checks(result),
                "PHR": self.render_phr(result),
                "Memory": self.render_memory(),
            }
            self.adr_suggestions = list(result.adr_suggestions)
            self._set_status(status_text(result))
        self._notify("stream")
        self._notify("result")
        self._notify("adr")
        self._notify("plan")

    # -- renderings for the tabs ----------------------------------------------------------

    def render_contract(self, result: Any) -> str:
        return contract_html(result.contract)

    def render_diff(self, result: Any) -> str:
        files = ", ".join(result.files_changed) or "none"
        return f"<div><b>Files changed:</b> {files}</div>{diff_html(result.diff)}"

    def render_checks(self, result: Any) -> str:
        return (
            checks_html(result.checks)
            + stage_html(getattr(result, "stage", None))
            + red_green_html(getattr(result, "red_green", []))
        )

    def render_memory(self) -> str:
        """The project memory the next run gets (as the last one did, unless a file changed)."""
        try:
            return memory_html(self.workbench.memory)
        except Exception as exc:  # a workspace gone missing must not break the panel
            return f"<i>The project memory could not be read: {_escape(str(exc))}</i>"

    def render_phr(self, result: Any) -> str:
        return phr_html(result, self.workbench.history_dir)

    def phr_location(self) -> str:
        return phr_location(self.result, self.workbench.history_dir) if self.result else ""

    def stream_html(self) -> str:
        if self.view is None:
            return ""
        return self.view.stream_html() + self.view.progress_html()


class Panel:
    """The ipywidgets face of a `PanelController`; `.widget` is what a notebook shows."""

    def __init__(
        self,
        workbench: Any,
        *,
        answer_timeout: float = 300.0,
        min_interval: float = 0.2,
        controller: PanelController | None = None,
    ) -> None:
        import ipywidgets as w

        self.w = w
        self.controller = controller or PanelController(workbench, answer_timeout=answer_timeout)
        self.min_interval = min_interval
        self._last_stream = 0.0
        c = self.controller

        self.mode = w.HTML(c.mode.html())
        self.prompt = w.Textarea(
            value=c.default_prompt(),
            placeholder="Ask the FastAPI backend agent…",
            layout=w.Layout(width="100%", height="6em"),
        )
        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop")
        self.stop_button.disabled = True
        self.status = w.HTML(f"<span>{c.status}</span>")
        self.question_label = w.HTML()
        self.choices = w.HBox()
        self.answer_text = w.Text(placeholder="Your answer (empty: let the agent assume)")
        self.answer_button = w.Button(description="Answer")
        self.question_box = w.VBox(
            [self.question_label, self.choices, w.HBox([self.answer_text, self.answer_button])],
            layout=w.Layout(display="none", border="1px solid #bf8700", padding="4px"),
        )
        self.stream = w.HTML(
            layout=w.Layout(max_height="28em", overflow="auto", border="1px solid #d0d7de")
        )
        self.tab_html = {title: w.HTML(c.tabs[title]) for title in TAB_TITLES}
        self.tabs = w.Tab(children=[self.tab_html[t] for t in TAB_TITLES])
        self.tabs.titles = TAB_TITLES
        self.adr_button = w.Button(description="Create ADR", icon="file")
        self.adr_status = w.HTML()
        self.adr_box = w.VBox([self.adr_status, self.adr_button], layout=w.Layout(display="none"))
        self.widget = w.VBox(
            [
                self.mode,
                self.prompt,
                w.HBox([self.run_button, self.stop_button, self.status]),
                self.question_box,
                self.stream,
                self.tabs,
                self.adr_box,
            ]
        )
        self.widget.add_class("workbench-panel")

        self.review = ReviewBox(w, c)
        self.widget.children = (
            *self.widget.children[:4],
            self.review.widget,
            *self.widget.children[4:],
        )
        self.run_button.on_click(lambda _b: c.on_run(self.prompt.value))
        self.stop_button.on_click(lambda _b: c.on_stop())
        self.answer_button.on_click(lambda _b: self._answer(self.answer_text.value))
        self.adr_button.on_click(lambda _b: c.on_create_adr())
        c.listeners.append(self.sync)

    def _answer(self, text: str) -> None:
        if self.controller.on_answer(text):
            self.answer_text.value = ""

    def sync(self, part: str) -> None:
        """Draw the part of the controller's state that changed."""
        c = self.controller
        if part == "mode":
            self.mode.value = c.mode.html()
        elif part == "status":
            self.status.value = f"<span>{_escape(c.status)}</span>"
            self.run_button.disabled = c.running
            self.stop_button.disabled = not c.running
        elif part == "stream":
            now = time.monotonic()
            if now - self._last_stream >= self.min_interval or not c.running:
                self.stream.value = c.stream_html()
                self._last_stream = now
        elif part == "question":
            self._draw_question()
        elif part == "result":
            for title in TAB_TITLES:
                self.tab_html[title].value = c.tabs[title]
            self.stream.value = c.stream_html()
            self.run_button.disabled = c.running
            self.stop_button.disabled = not c.running
        elif part in ("review", "plan"):
            self.review.sync(part)
        elif part == "adr":
            shown = bool(c.adr_suggestions) or bool(c.adr_message)
            self.adr_box.layout.display = "flex" if shown else "none"
            lines = [*c.adr_suggestions, c.adr_message] if c.adr_message else c.adr_suggestions
            self.adr_status.value = "".join(f"<div>{_escape(line)}</div>" for line in lines)
            self.adr_button.disabled = bool(c.adr_message.startswith("ADR written"))

    def _draw_question(self) -> None:
        question = self.controller.question
        if question is None:
            self.question_box.layout.display = "none"
            self.choices.children = ()
            return
        text, choices = question
        self.question_label.value = f"<b>The agent asks:</b> {_escape(text)}"
        buttons = []
        for choice in choices or []:
            button = self.w.Button(description=choice[:40], tooltip=choice)
            button.on_click(lambda _b, value=choice: self._answer(value))
            buttons.append(button)
        self.choices.children = tuple(buttons)
        self.question_box.layout.display = "flex"


def _escape(text: str) -> str:
    import html

    return html.escape(text)
