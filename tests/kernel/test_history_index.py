"""The PHR index: sorted summaries, malformed files reported (never raised), search."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from agent_kernel.history.index import HistoryLog, PhrSummary, find_records, scan_history, search
from agent_kernel.history.phr import PromptRecord, write_phr

SPEC_KIT_NATIVE = """---
id: 2
title: PHR creation request
stage: general
date: 2025-12-19
surface: agent
model: claude-sonnet-4-5-20250929
feature: none
branch: main
user: someone
command: /sp.phr
labels: ["general", "phr"]
links:
  spec: null
  ticket: null
  adr: null
  pr: null
files:
 - none
tests:
 - none
---

## Prompt

/sp.phr

## Response snapshot

Recorded.
"""


def write(history: Path, title: str, day: int, **overrides) -> Path:
    values = {
        "title": title,
        "stage": "green",
        "prompt": f"Prompt for {title}",
        "feature": "items",
        "date": dt.date(2026, 11, day),
        "model": "claude-sonnet-4-6",
    }
    values.update(overrides)
    return write_phr(history, PromptRecord(**values))


def test_empty_or_missing_history(tmp_path):
    assert scan_history(tmp_path / "nowhere") == ([], [])
    assert scan_history(tmp_path) == ([], [])
    assert search(tmp_path, "x") == []


def test_sorted_by_date_then_id(tmp_path):
    late = write(tmp_path, "Late items work", 25)
    early_a = write(tmp_path, "Early items work", 10)
    early_b = write(tmp_path, "Users work", 10, feature="users", source="scripted")
    explain = write(tmp_path, "Explain the app", 10, stage="explainer", feature="none")
    records, malformed = scan_history(tmp_path)
    assert malformed == []
    assert [r.path for r in records] == [explain, early_b, early_a, late]
    assert [(r.date.day, r.id) for r in records] == [(10, 1), (10, 1), (10, 2), (25, 1)]
    first = records[2]
    assert first == PhrSummary(
        id=2,
        path=early_a,
        stage="green",
        feature="items",
        date=dt.date(2026, 11, 10),
        title="Early items work",
        status="ok",
        source="live",
        model="claude-sonnet-4-6",
    )
    assert records[1].source == "scripted"


def test_malformed_files_reported_good_ones_kept(tmp_path):
    good = write(tmp_path, "Good record here", 12)
    folder = good.parent
    (folder / "0002-bad-yaml.green.prompt.md").write_text("---\ntitle: [unclosed\n---\n## Prompt\n")
    (folder / "0003-missing.green.prompt.md").write_text("---\ntitle: Only a title\n---\nbody\n")
    (folder / "0004-no-front.green.prompt.md").write_text("## Prompt\n\nhello\n")
    (folder / "0005-empty.green.prompt.md").write_text("")
    (folder / "0006-bad-date.green.prompt.md").write_text(
        "---\nid: 6\ntitle: t\nstage: green\ndate: someday\n---\n"
    )
    (folder / "0007-list.green.prompt.md").write_text("---\n- a\n- b\n---\n")
    (folder / "notes.md").write_text("not a PHR, ignored")
    records, malformed = scan_history(tmp_path)
    assert [r.path for r in records] == [good]
    reasons = {path.name: reason for path, reason in malformed}
    assert set(reasons) == {
        "0002-bad-yaml.green.prompt.md",
        "0003-missing.green.prompt.md",
        "0004-no-front.green.prompt.md",
        "0005-empty.green.prompt.md",
        "0006-bad-date.green.prompt.md",
        "0007-list.green.prompt.md",
    }
    assert reasons["0002-bad-yaml.green.prompt.md"].startswith(
        "0002-bad-yaml.green.prompt.md: line "
    )
    assert "not valid YAML" in reasons["0002-bad-yaml.green.prompt.md"]
    assert "missing" in reasons["0003-missing.green.prompt.md"]
    assert "id" in reasons["0003-missing.green.prompt.md"]
    assert "front matter" in reasons["0004-no-front.green.prompt.md"]
    assert "empty" in reasons["0005-empty.green.prompt.md"]
    assert "date" in reasons["0006-bad-date.green.prompt.md"]
    assert "mapping" in reasons["0007-list.green.prompt.md"]


def test_spec_kit_native_record_is_read(tmp_path):
    folder = tmp_path / "prompts" / "general"
    folder.mkdir(parents=True)
    path = folder / "2-phr-creation-request.general.prompt.md"
    path.write_text(SPEC_KIT_NATIVE, encoding="utf-8")
    records, malformed = scan_history(tmp_path)
    assert malformed == []
    assert records == [
        PhrSummary(
            id=2,
            path=path,
            stage="general",
            feature="none",
            date=dt.date(2025, 12, 19),
            title="PHR creation request",
            status="unknown",
            source="unknown",
            model="claude-sonnet-4-5-20250929",
        )
    ]
    # New records in that folder continue its numbering.
    assert write(tmp_path, "Next general record", 1, stage="general").name.startswith("0003-")


def test_search_title_prompt_labels(tmp_path):
    a = write(tmp_path, "Add pagination to items", 1, labels=["api"])
    b = write(tmp_path, "Fix login flow", 2, prompt="The JWT refresh token expires too early")
    c = write(tmp_path, "Tidy settings module", 3, labels=["Refactor", "config"])
    (a.parent / "0099-broken.green.prompt.md").write_text("no front matter")
    assert [r.path for r in search(tmp_path, "PAGINATION")] == [a]
    assert [r.path for r in search(tmp_path, "jwt refresh")] == [b]
    assert [r.path for r in search(tmp_path, "refactor")] == [c]
    assert [r.path for r in search(tmp_path, "i")] == [a, b, c]
    assert search(tmp_path, "nothing like this") == []


def test_ids_name_their_folder_so_two_0001_records_differ(tmp_path):
    items = write(tmp_path, "Items work", 10)
    users = write(tmp_path, "Users work", 11, feature="users")
    log = HistoryLog.scan(tmp_path)
    assert [row[0] for row in log.rows()] == ["items/0001", "users/0001"]
    text = repr(log)
    assert "items/0001" in text and "users/0001" in text
    assert [r.path for r in find_records(log.records, "users/0001")] == [users]
    assert [r.path for r in find_records(log.records, "items/1")] == [items]
    assert [r.path for r in find_records(log.records, "0001")] == [items, users]
    assert find_records(log.records, "auth/0001") == []
    assert [r.path for r in find_records(log.records, users.name)] == [users]
