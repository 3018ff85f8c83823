"""ADRs: suggestion text, drafts from contract decisions, numbered files with every section."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading

import pytest

from agent_kernel.contract import Decision
from agent_kernel.history.adr import (
    AdrDraft,
    draft_from_decision,
    parse_adr,
    suggestion_text,
    write_adr,
)

SECTIONS = [
    "Context",
    "Decision",
    "Consequences",
    "Alternatives considered",
    "References",
]


def decision(**overrides) -> Decision:
    values = {
        "title": "Use JWT bearer tokens",
        "choice": "Stateless JWT access tokens signed with HS256.",
        "alternatives": ["Server-side sessions", "Opaque tokens in the database"],
        "rationale": "No session store; every service can verify tokens.",
        "long_term_impact": True,
        "cross_cutting": True,
    }
    values.update(overrides)
    return Decision(**values)


def draft(**overrides) -> AdrDraft:
    values = {
        "title": "Use JWT bearer tokens",
        "context": "The API needs authentication for every route.",
        "decision": "Stateless JWT access tokens.",
        "consequences_positive": ["No session store"],
        "consequences_negative": ["Revocation needs a deny list"],
        "alternatives": ["Server-side sessions"],
        "references": ["history/prompts/auth/0003-add-login.green.prompt.md"],
        "feature": "Auth",
        "date": dt.date(2026, 11, 20),
    }
    values.update(overrides)
    return AdrDraft(**values)


def test_suggestion_text_exact():
    assert suggestion_text(decision()) == (
        "📋 Architectural decision detected: Use JWT bearer tokens. "
        "Document reasoning and tradeoffs? "
        'Run `workbench adr new "Use JWT bearer tokens"` or press Create ADR.'
    )


def test_suggestion_text_quotes_and_redacts():
    canary = "sk-ant-" + "api03-" + secrets.token_hex(20)
    text = suggestion_text(decision(title=f'Store "{canary}" in vault'))
    assert canary not in text
    assert 'adr new "Store \\"[REDACTED]\\" in vault"' in text


def test_draft_from_decision():
    d = draft_from_decision(decision(), "User Auth")
    assert d.title == "Use JWT bearer tokens"
    assert d.feature == "user-auth"
    assert d.status == "Proposed"
    assert d.date == dt.date.today()
    assert d.alternatives == ["Server-side sessions", "Opaque tokens in the database"]
    assert d.decision.startswith("Stateless JWT access tokens signed with HS256.")
    assert "Rationale: No session store" in d.decision
    assert "long-term impact" in d.context and "cross-cutting scope" in d.context
    assert draft_from_decision(decision(), "x", context="Given context.").context == (
        "Given context."
    )


def test_write_adr_sections_and_fields(tmp_path):
    path = write_adr(tmp_path, draft())
    assert path == tmp_path / "adr" / "0001-use-jwt-bearer-tokens.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ADR-0001: Use JWT bearer tokens\n")
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == SECTIONS
    assert re.findall(r"^### (.+)$", text, re.MULTILINE) == ["Positive", "Negative"]
    parsed = parse_adr(path)
    assert parsed["id"] == 1
    assert parsed["title"] == "Use JWT bearer tokens"
    assert parsed["status"] == "Proposed"
    assert parsed["date"] == "2026-11-20"
    assert parsed["feature"] == "auth"
    assert parsed["sections"]["Context"] == "The API needs authentication for every route."
    assert "- No session store" in parsed["sections"]["Consequences"]
    assert "- Revocation needs a deny list" in parsed["sections"]["Consequences"]
    assert parsed["sections"]["Alternatives considered"] == "- Server-side sessions"
    assert parsed["sections"]["References"].startswith("- history/prompts/auth/")


def test_empty_lists_say_so(tmp_path):
    path = write_adr(tmp_path, draft_from_decision(decision(alternatives=[]), "none"))
    sections = parse_adr(path)["sections"]
    assert sections["References"] == "- None recorded yet."
    assert sections["Alternatives considered"] == "- None recorded yet."


def test_adr_numbering(tmp_path):
    assert write_adr(tmp_path, draft()).name.startswith("0001-")
    assert write_adr(tmp_path, draft(title="Second decision")).name == "0002-second-decision.md"
    (tmp_path / "adr" / "0010-imported.md").write_text("# ADR-0010: imported\n")
    path = write_adr(tmp_path, draft(title="After a gap"))
    assert path.name == "0011-after-a-gap.md"
    assert parse_adr(path)["id"] == 11


def test_adr_threads_never_collide(tmp_path):
    def run(worker: int) -> None:
        for i in range(10):
            write_adr(tmp_path, draft(title=f"Decision {worker} {i}"))

    threads = [threading.Thread(target=run, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    files = sorted((tmp_path / "adr").glob("*.md"))
    assert [int(p.name[:4]) for p in files] == list(range(1, 41))
    assert {parse_adr(p)["title"] for p in files} == {
        f"Decision {w} {i}" for w in range(4) for i in range(10)
    }


def test_adr_redacted(tmp_path, monkeypatch):
    canary = "sk-ant-" + "api03-" + "x" * 40
    env_value = secrets.token_hex(16)
    monkeypatch.setenv("MY_SERVICE_TOKEN", env_value)
    path = write_adr(
        tmp_path,
        draft(
            title=f"Rotate {env_value} yearly",
            context=f"Key {canary} leaked.",
            decision=f"Use Authorization: Bearer {env_value}",
            references=[f"https://x.test/?api_key={env_value}"],
        ),
    )
    text = path.read_text(encoding="utf-8")
    assert canary not in text and env_value not in text and env_value not in path.name
    assert "[REDACTED]" in text


@pytest.mark.parametrize(
    "overrides",
    [{"title": "   "}, {"context": "Context: {{CONTEXT}}"}, {"alternatives": ["[OPTION_1_NAME]"]}],
)
def test_bad_drafts_rejected(tmp_path, overrides):
    with pytest.raises(ValueError):
        write_adr(tmp_path, draft(**overrides))
    assert not list(tmp_path.rglob("*.md"))
