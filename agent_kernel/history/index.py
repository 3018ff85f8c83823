"""An index of the PHR log: list, sort and search records, reporting broken files, never raising.

Files written by Spec-Kit Plus itself (no `status` or `source`) are read too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .phr import parse_phr

REQUIRED_FIELDS = ("id", "title", "stage", "date")


@dataclass(frozen=True)
class PhrSummary:
    id: int
    path: Path
    stage: str
    feature: str
    date: dt.date
    title: str
    status: str
    source: str
    model: str


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def _summary(path: Path, meta: dict[str, Any]) -> PhrSummary:
    missing = [name for name in REQUIRED_FIELDS if meta.get(name) in (None, "")]
    if missing:
        raise ValueError(f"missing front matter field(s): {', '.join(missing)}")
    try:
        number = int(meta["id"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"id is not an integer: {meta['id']!r}") from exc
    try:
        date = _as_date(meta["date"])
    except ValueError as exc:
        raise ValueError(f"date is not YYYY-MM-DD: {meta['date']!r}") from exc
    return PhrSummary(
        id=number,
        path=path,
        stage=str(meta["stage"]),
        feature=str(meta.get("feature") or "none"),
        date=date,
        title=str(meta["title"]),
        status=str(meta.get("status") or "unknown"),
        source=str(meta.get("source") or "unknown"),
        model=str(meta.get("model") or "unknown"),
    )


def _scan(
    history_dir: Path,
) -> tuple[list[tuple[PhrSummary, dict[str, Any]]], list[tuple[Path, str]]]:
    prompts = Path(history_dir) / "prompts"
    good: list[tuple[PhrSummary, dict[str, Any]]] = []
    bad: list[tuple[Path, str]] = []
    if not prompts.is_dir():
        return good, bad
    for path in sorted(prompts.rglob("*.prompt.md")):
        try:
            if path.stat().st_size == 0:
                raise ValueError("empty file (being written, or an interrupted write)")
            parsed = parse_phr(path)
            good.append((_summary(path, parsed["front_matter"]), parsed))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            bad.append((path, str(exc)))
    good.sort(key=lambda item: (item[0].date, item[0].id, str(item[0].path)))
    return good, bad


def scan_history(history_dir: Path) -> tuple[list[PhrSummary], list[tuple[Path, str]]]:
    """(records sorted by date then id, [(malformed file, reason)])."""
    good, bad = _scan(history_dir)
    return [summary for summary, _ in good], bad


def search(history_dir: Path, text: str) -> list[PhrSummary]:
    """Records whose title, prompt or labels contain `text` (case-insensitive)."""
    needle = text.casefold()
    good, _ = _scan(history_dir)
    hits = []
    for summary, parsed in good:
        labels = parsed["front_matter"].get("labels") or []
        if not isinstance(labels, list):
            labels = [labels]
        haystack = [summary.title, parsed.get("prompt") or "", *map(str, labels)]
        if any(needle in part.casefold() for part in haystack):
            hits.append(summary)
    return hits


def record_key(summary: PhrSummary) -> str:
    """The id a person can use: `<folder>/<NNNN>` (numbering is per folder, as Spec-Kit does)."""
    return f"{summary.path.parent.name}/{summary.id:04d}"


def find_records(records: list[PhrSummary], key: str) -> list[PhrSummary]:
    """Records matching `auth/0001`, a bare id (`1`, `0001`: every folder's) or a file name."""
    key = key.strip()
    folder, _, number = key.rpartition("/")
    if number.isdigit():
        return [
            r
            for r in records
            if r.id == int(number) and (not folder or r.path.parent.name == folder)
        ]
    return [r for r in records if r.path.name == key]


HEADER = ("id", "date", "stage", "feature", "title", "status", "source")


@dataclass
class HistoryLog:
    """The PHR log as rows of text: what `workbench history list` prints."""

    records: list[PhrSummary]
    malformed: list[tuple[Path, str]] = field(default_factory=list)

    @classmethod
    def scan(cls, history_dir: Path) -> HistoryLog:
        records, malformed = scan_history(history_dir)
        return cls(records, malformed)

    def __len__(self) -> int:
        return len(self.records)

    def rows(self) -> list[tuple[str, ...]]:
        return [
            (record_key(r), str(r.date), r.stage, r.feature, r.title, r.status, r.source)
            for r in self.records
        ]

    def __repr__(self) -> str:
        rows = [HEADER, *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
        lines += [
            f"malformed: {reason}"
            if reason.startswith(path.name)
            else f"malformed: {path.name}: {reason}"
            for path, reason in self.malformed
        ]
        return "\n".join(lines)
