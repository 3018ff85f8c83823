"""The Workbench as a notebook uses it: the facade, plus its panel and its rich display.

`from agent_kernel import Workbench` gives this class. A run it starts renders in place (in a
notebook) or as text (in a terminal or a papermill run) unless the caller passes observers, a
`RunResult` shows a short summary, and `history()` renders as a table.
"""

from __future__ import annotations

from typing import Any

from ..agent.events import Observer
from ..agent.result import RunResult
from ..workbench import Workbench as CoreWorkbench
from .display import install_result_reprs, live_renderer
from .history_view import HistoryTable


class NotebookWorkbench(CoreWorkbench):
    """A workspace, a mode, a history and the agent, with notebook views."""

    def default_observers(self) -> list[Observer]:
        return [live_renderer(self)] if self.display else []

    def _run(self, prompt: str, **options: Any) -> RunResult:
        install_result_reprs()  # the result this run returns shows as a summary
        return super()._run(prompt, **options)

    def panel(self, **options: Any) -> Any:
        """The ipywidgets panel: prompt, mode, Run/Stop, streamed output, result tabs."""
        from .panel import Panel

        install_result_reprs()
        return Panel(self, **options).widget

    def history(self) -> HistoryTable:
        """The PHR log as a table (HTML in a notebook, aligned text elsewhere)."""
        return HistoryTable.scan(self.history_dir)
