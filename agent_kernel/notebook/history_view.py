"""The PHR log as a table: plain text and HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from ..history.index import PhrSummary, scan_history


@dataclass
class HistoryTable:
    records: list[PhrSummary]
    malformed: list[tuple[Path, str]] = field(default_factory=list)

    @classmethod
    def scan(cls, history_dir: Path) -> HistoryTable:
        records, malformed = scan_history(history_dir)
        return cls(records, malformed)

    def __len__(self) -> int:
        return len(self.records)

    def rows(self) -> list[tuple[str, ...]]:
        return [
            (f"{r.id:04d}", str(r.date), r.stage, r.feature, r.title, r.status, r.source)
            for r in self.records
        ]

    HEADER = ("id", "date", "stage", "feature", "title", "status", "source")

    def __repr__(self) -> str:
        rows = [self.HEADER, *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(self.HEADER))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        ]
        lines += [f"malformed: {path.name}: {reason}" for path, reason in self.malformed]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self.HEADER)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in self.rows()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
