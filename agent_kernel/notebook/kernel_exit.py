"""Kernel exit without the collector's walks over a heap that is about to be freed anyway.

A kernel with the app stack imported spends about 0.6 s of its shutdown in full
garbage-collection passes: IPython's reset collects, then the interpreter's finalization
does, several times, each walking every object the stack ever created. Nothing at that
point needs them: the memory goes back with the process, files and sockets close with it,
and `weakref.finalize` callbacks (temporary directories) still run from atexit. Freezing
the heap as the first exit step leaves those passes nothing to walk. What is given up is
the `__del__` of objects caught in reference cycles at exit, which Python never promised.

The workbench's kernelspec loads this extension (`--ext agent_kernel.notebook.kernel_exit`);
WORKBENCH_FAST_EXIT=0 keeps the usual exit.
"""

from __future__ import annotations

import atexit
import gc
import os
from typing import Any

ENABLE_ENV = "WORKBENCH_FAST_EXIT"
EXTENSION = __name__


def enabled() -> bool:
    return os.environ.get(ENABLE_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def freeze_heap() -> None:
    """Move every tracked object out of the collector's sight (its walks find nothing)."""
    gc.freeze()


def load_ipython_extension(_shell: Any) -> None:
    """Registered after IPython's own exit steps, so it runs before them (atexit is LIFO)."""
    if enabled():
        atexit.unregister(freeze_heap)  # loading twice registers once
        atexit.register(freeze_heap)
