"""The trajectory: the whole conversation and every step, saved after each step.

Saved as JSON lines, one record per message, step or info update, appended as the run
goes: a step costs one short write however long the run already is, and a crash mid-write
loses at most the torn last line, which `load_trajectory` skips. Everything is redacted
before it reaches the disk (a record is walked for secrets only when its JSON text could hold
one); when a new secret becomes known, the file is rewritten whole (atomically) so that earlier
lines are redacted with it too.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, TextIO

from ..history.redaction import json_may_hold_secrets, redact_obj, secret_values

SUFFIX = ".jsonl"


class Trajectory:
    def __init__(self, path: Path, info: dict[str, Any]) -> None:
        self.path = path
        self.info = dict(info)
        self.messages: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.started = time.time()
        # What is already on disk: the object written at each position (messages and steps
        # are appended, and a replaced one is written again), and the info as last written.
        self._written: dict[str, list[Any]] = {"message": [], "step": []}
        self._info_written: dict[str, Any] | None = None
        self._values: list[str] | None = None
        self._memo: dict[str, str] = {}  # text -> redacted text, for the current values
        self._out: TextIO | None = None  # kept open between steps: opening costs more than writing

    def step(self, kind: str, **data: Any) -> None:
        """Record a step and save it."""
        self.record(kind, **data)
        self.save()

    def record(self, kind: str, **data: Any) -> None:
        """Record a step for the next save: for a caller that saves before anything can fail."""
        self.steps.append({"kind": kind, "t": round(time.time() - self.started, 3), **data})

    def save(self) -> Path:
        values = secret_values()
        if values != self._values or not self.path.exists():
            self._rewrite(values)
        else:
            lines = self._pending(values)
            if lines:
                if self._out is None or self._out.closed:
                    self._out = self.path.open("a", encoding="utf-8")
                self._out.write("".join(lines))
                self._out.flush()
        return self.path

    def close(self) -> None:
        """Let go of the file; a later save opens it again."""
        if self._out is not None:
            self._out.close()
            self._out = None

    def _rewrite(self, values: list[str]) -> None:
        self.close()  # the file is about to be replaced
        self._values = values
        self._memo = {}
        self._written = {"message": [], "step": []}
        self._info_written = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("".join(self._pending(values)), encoding="utf-8")
        tmp.replace(self.path)

    def _pending(self, values: list[str]) -> list[str]:
        """The lines not on disk yet, marking them as written."""
        lines = []
        if self.info != self._info_written:
            self._info_written = dict(self.info)
            lines.append(self._line({"record": "info", "data": self.info}, values))
        for record, items in (("message", self.messages), ("step", self.steps)):
            written = self._written[record]
            for index, item in enumerate(items):
                if index < len(written) and written[index] is item:
                    continue
                if index < len(written):
                    written[index] = item
                else:
                    written.append(item)
                lines.append(self._line({"record": record, "index": index, "data": item}, values))
        return lines

    def _line(self, record: dict[str, Any], values: list[str]) -> str:
        """The record as one JSON line, redacted: walked only when a secret could be in it."""
        text = json.dumps(record, default=str)
        # Without a \u escape the ASCII dump is the unescaped dump the check reads; with one,
        # the check needs the characters themselves (a KELVIN SIGN lower-cases to "k").
        probe = text if "\\u" not in text else json.dumps(record, default=str, ensure_ascii=False)
        if json_may_hold_secrets(probe, values):
            redacted = {**record, "data": redact_obj(record["data"], values, self._memo)}
            text = json.dumps(redacted, default=str)
        return text + "\n"


def load_trajectory(path: Path | str) -> dict[str, Any]:
    """The trajectory as one document: {"info": ..., "messages": [...], "steps": [...]}.

    The last info record wins; a message or step written again replaces the earlier one.
    A torn last line (the run died mid-write) is skipped; a broken line elsewhere is an error.
    """
    document: dict[str, Any] = {"info": {}, "messages": [], "steps": []}
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                break
            raise ValueError(f"{path}: line {number} is not JSON: {exc}") from exc
        if record["record"] == "info":
            document["info"] = record["data"]
            continue
        items = document["messages" if record["record"] == "message" else "steps"]
        index = record["index"]
        if index < len(items):
            items[index] = record["data"]
        else:
            items.append(record["data"])
    return document
