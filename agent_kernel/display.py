"""How a run shows itself: rich HTML in a notebook, plain text everywhere else."""

from __future__ import annotations

from typing import Any

from .console import ConsoleObserver
from .events import Observer


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def live_renderer(workbench: Any) -> Observer:
    """The observer a run uses by default: plain text (readable under papermill too)."""
    return ConsoleObserver()
