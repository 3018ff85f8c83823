"""The trajectory: the whole conversation and every step, saved after each step.

Saved atomically (write, then rename) so a crash mid-run still leaves the last good state,
and redacted so no secret reaches the disk.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .redaction import redact_obj, secret_values


class Trajectory:
    def __init__(self, path: Path, info: dict[str, Any]) -> None:
        self.path = path
        self.info = dict(info)
        self.messages: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.started = time.time()
        # position -> (the item object, its redacted JSON). Messages and steps are appended,
        # never edited, so a save serialises and redacts only what is new: a turn costs the
        # same at the end of a long run as at its start.
        self._clean: dict[tuple[str, int], tuple[Any, str]] = {}
        self._values: list[str] = []

    def step(self, kind: str, **data: Any) -> None:
        self.steps.append({"kind": kind, "t": round(time.time() - self.started, 3), **data})
        self.save()

    def save(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        values = secret_values()
        if values != self._values:
            self._clean.clear()
            self._values = values
        info = json.dumps(redact_obj(self.info, values), default=str)
        messages = self._redacted("messages", self.messages, values)
        steps = self._redacted("steps", self.steps, values)
        text = f'{{"info": {info},\n"messages": [\n{messages}\n],\n"steps": [\n{steps}\n]}}\n'
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.path)
        return self.path

    def _redacted(self, name: str, items: list[Any], values: list[str]) -> str:
        out = []
        for index, item in enumerate(items):
            cached = self._clean.get((name, index))
            if cached is None or cached[0] is not item:
                cached = (item, json.dumps(redact_obj(item, values), default=str))
                self._clean[(name, index)] = cached
            out.append(cached[1])
        return ",\n".join(out)
