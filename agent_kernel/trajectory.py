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

from .redaction import redact_obj


class Trajectory:
    def __init__(self, path: Path, info: dict[str, Any]) -> None:
        self.path = path
        self.info = dict(info)
        self.messages: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.started = time.time()

    def step(self, kind: str, **data: Any) -> None:
        self.steps.append({"kind": kind, "t": round(time.time() - self.started, 3), **data})
        self.save()

    def save(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = redact_obj({"info": self.info, "messages": self.messages, "steps": self.steps})
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
        tmp.replace(self.path)
        return self.path
