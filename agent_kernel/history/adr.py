"""Architecture Decision Records: suggested for significant decisions, written only on request.

`history/adr/NNNN-<slug>.md`, numbered with the same atomic allocator as the PHRs, with
status, date, feature, context, decision, consequences, alternatives and references.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract import Decision
from .numbering import allocate_numbered, format_number
from .phr import MAX_SLUG_LENGTH, feature_slug, slugify, unresolved_placeholders
from .redaction import redact, redact_obj

NOTHING_RECORDED = "None recorded yet."


@dataclass
class AdrDraft:
    """The content of one ADR before it has a number."""

    title: str
    context: str
    decision: str
    consequences_positive: list[str] = field(default_factory=list)
    consequences_negative: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    feature: str = "none"
    status: str = "Proposed"
    date: dt.date = field(default_factory=dt.date.today)


def adr_folder(history_dir: Path) -> Path:
    return Path(history_dir) / "adr"


def adr_filename(number: int, title: str) -> str:
    return f"{format_number(number)}-{slugify(title, MAX_SLUG_LENGTH) or 'decision'}.md"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def suggestion_text(decision: Decision, history: Path | None = None) -> str:
    """The line shown to the user when a decision passes the significance test.

    `history` is the run's own history when it is not the repository's (a replayed lesson
    writes into its workspace): the command then names it, so following the hint writes the
    ADR beside the run's PHR and leaves the repository's `history/adr/` as it was.
    """
    title = _one_line(redact(decision.title))
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    where = f" --history {history}" if history is not None else ""
    return (
        f"📋 Architectural decision detected: {title}. Document reasoning and tradeoffs? "
        f'Run `workbench adr new "{quoted}"{where}` or press Create ADR.'
    )


def draft_from_decision(decision: Decision, feature: str, context: str = "") -> AdrDraft:
    """Turn a contract decision into an ADR draft the user can still edit before writing."""
    reasons = []
    if decision.long_term_impact:
        reasons.append("long-term impact")
    if decision.alternatives:
        reasons.append(f"{len(decision.alternatives)} alternative(s) considered")
    if decision.cross_cutting:
        reasons.append("cross-cutting scope")
    if not context:
        context = f"Decision taken by the agent while working on feature `{feature_slug(feature)}`."
        if reasons:
            context += f" Significance: {', '.join(reasons)}."
    text = decision.choice.strip()
    if decision.rationale.strip():
        text += f"\n\nRationale: {decision.rationale.strip()}"
    return AdrDraft(
        title=_one_line(decision.title),
        context=context,
        decision=text,
        alternatives=list(decision.alternatives),
        feature=feature_slug(feature),
    )


def _items(values: list[str]) -> str:
    cleaned = [_one_line(value) for value in values if value.strip()]
    return "\n".join(f"- {value}" for value in cleaned) if cleaned else f"- {NOTHING_RECORDED}"


def render_adr(draft: AdrDraft, number: int) -> str:
    """The Markdown text of an ADR (the draft should already be redacted)."""
    date = draft.date.isoformat() if isinstance(draft.date, dt.date) else str(draft.date)
    return "\n".join(
        [
            f"# ADR-{format_number(number)}: {_one_line(draft.title)}",
            "",
            f"- **Status:** {_one_line(draft.status) or 'Proposed'}",
            f"- **Date:** {date}",
            f"- **Feature:** {feature_slug(draft.feature)}",
            "",
            "## Context",
            "",
            draft.context.strip() or NOTHING_RECORDED,
            "",
            "## Decision",
            "",
            draft.decision.strip() or NOTHING_RECORDED,
            "",
            "## Consequences",
            "",
            "### Positive",
            "",
            _items(draft.consequences_positive),
            "",
            "### Negative",
            "",
            _items(draft.consequences_negative),
            "",
            "## Alternatives considered",
            "",
            _items(draft.alternatives),
            "",
            "## References",
            "",
            _items(draft.references),
            "",
        ]
    )


def write_adr(history_dir: Path, draft: AdrDraft) -> Path:
    """Write the ADR as `history_dir/adr/NNNN-<slug>.md` with the next free number."""
    if not _one_line(draft.title):
        raise ValueError("ADR title is empty")
    draft_date = dt.date.fromisoformat(draft.date) if isinstance(draft.date, str) else draft.date
    values: dict[str, Any] = redact_obj({**draft.__dict__, "date": None})
    clean = AdrDraft(**(values | {"date": draft_date}))
    leftovers = unresolved_placeholders(render_adr(clean, 0))
    if leftovers:
        raise ValueError(f"ADR has unresolved placeholders: {', '.join(sorted(set(leftovers)))}")
    return allocate_numbered(
        adr_folder(history_dir),
        lambda number: adr_filename(number, clean.title),
        lambda number: redact(render_adr(clean, number)),
    )


_FIELD = re.compile(r"^- \*\*(Status|Date|Feature):\*\* (.*)$")


def parse_adr(path: Path) -> dict[str, Any]:
    """Read an ADR back: number, title, status, date, feature and the `##` sections."""
    text = Path(path).read_text(encoding="utf-8")
    heading = re.search(r"^# ADR-(\d+): (.*)$", text, re.MULTILINE)
    if heading is None:
        raise ValueError(f"{path}: no '# ADR-NNNN: title' heading")
    result: dict[str, Any] = {"id": int(heading.group(1)), "title": heading.group(2).strip()}
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.split("\n"):
        match = _FIELD.match(line)
        if match and current is None:
            result[match.group(1).lower()] = match.group(2).strip()
        elif line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    result["sections"] = {name: "\n".join(body).strip() for name, body in sections.items()}
    return result
