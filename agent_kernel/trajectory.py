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
        # position -> (item as JSON, secrets, redacted item): a save redacts only what changed,
        # not the whole conversation again (that made every turn cost more than the last).
        self._clean: dict[tuple[str, int], tuple[str, list[str], Any]] = {}

    def step(self, kind: str, **data: Any) -> None:
        self.steps.append({"kind": kind, "t": round(time.time() - self.started, 3), **data})
        self.save()

    def save(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        values = secret_values()
        payload = {
            "info": redact_obj(self.info, values),
            "messages": self._redacted("messages", self.messages, values),
            "steps": self._redacted("steps", self.steps, values),
        }
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
        tmp.replace(self.path)
        return self.path

    def _redacted(self, name: str, items: list[Any], values: list[str]) -> list[Any]:
        out = []
        for index, item in enumerate(items):
            text = json.dumps(item, default=str)
            cached = self._clean.get((name, index))
            if cached is None or cached[0] != text or cached[1] != values:
                cached = (text, values, redact_obj(item, values))
                self._clean[(name, index)] = cached
            out.append(cached[2])
        return out
