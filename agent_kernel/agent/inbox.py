"""Queued messages: what the user types while a run streams, delivered at the next turn.

Claude Code's "queued message": the text is not an interruption; the loop hands it to the
model with the next tool results (or instead of the reminder when the model ended its turn),
so the agent can change course without losing the work done so far.
"""

from __future__ import annotations

import threading


class Inbox:
    """A thread-safe queue of user messages; the panel's thread puts, the run's thread drains."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[str] = []

    def put(self, text: str) -> None:
        text = text.strip()
        if not text:
            raise ValueError("a queued message needs some text")
        with self._lock:
            self._items.append(text)

    def drain(self) -> list[str]:
        with self._lock:
            items, self._items = self._items, []
        return items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
