"""Prompt History Records in the Spec-Kit Plus layout: one Markdown file per run.

`history/prompts/<constitution|general|feature>/NNNN-<slug>.<stage>.prompt.md` with YAML
front matter and the Prompt / Response snapshot / Outcome / Evaluation notes sections.
The prompt is kept verbatim (only secrets are removed); numbers are allocated atomically
so parallel runs never collide; everything written passes through `redact`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import yaml

from ..contract import Stage
from ..documents import DocumentError, load_yaml
from .numbering import allocate_numbered, format_number
from .redaction import redact, redact_obj

STAGES: tuple[str, ...] = get_args(Stage)
SOURCES = ("live", "recorded", "scripted")
LINK_KEYS = ("spec", "ticket", "adr", "pr")
# A prompt of a conversation links the session's previous PHR; written only when there is one,
# so a one-prompt record keeps exactly Spec-Kit Plus's four link keys.
SESSION_LINK_KEYS = ("previous",)
NO_FEATURE = "none"
MAX_SLUG_LENGTH = 80

SCRIPTED_NOTE = (
    "> Scripted session: replayed offline from an authored cassette, not a recorded model answer."
)

OUTCOME_BULLETS = (
    ("impact", "✅ Impact"),
    ("tests_summary", "🧪 Tests"),
    ("files_summary", "📁 Files"),
    ("next_prompts", "🔁 Next prompts"),
    ("reflection", "🧠 Reflection"),
)
EVALUATION_BULLETS = (
    ("failure_modes", "Failure modes observed"),
    ("graders", "Graders run and results (PASS/FAIL)"),
    ("prompt_variant", "Prompt variant (if applicable)"),
    ("next_experiment", "Next experiment (smallest change to try)"),
)
SECTION_TITLES = ("Prompt", "Response snapshot", "Outcome", "Evaluation notes (flywheel)")


@dataclass
class PromptRecord:
    """Everything one PHR holds; the loop fills it from the run and its contract."""

    title: str
    stage: str
    prompt: str
    response_snapshot: str = ""
    model: str = "unknown"
    feature: str = NO_FEATURE
    branch: str = "none"
    user: str = "none"
    command: str = "workbench run"
    labels: list[str] = field(default_factory=list)
    links: dict[str, str | None] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    # Outcome
    impact: str = ""
    tests_summary: str = ""
    files_summary: str = ""
    next_prompts: list[str] = field(default_factory=list)
    reflection: str = ""
    # Evaluation notes (flywheel)
    failure_modes: str = ""
    graders: str = ""
    prompt_variant: str = ""
    next_experiment: str = ""
    date: dt.date = field(default_factory=dt.date.today)
    surface: str = "agent"
    status: str = "ok"
    source: str = "live"
    session: str = ""  # the conversation this prompt belongs to (front matter `session`)
    # Tests proven red before green: [{test, red, green}] (front matter `red_green`, when any)
    red_green: list[dict[str, Any]] = field(default_factory=list)


# --- naming and routing -------------------------------------------------------------------


def slugify(title: str, max_length: int | None = None) -> str:
    """Lowercase; every run of non-alphanumerics becomes one `-`; no leading/trailing `-`."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if max_length is not None and len(slug) > max_length:
        slug = slug[:max_length].rstrip("-")
    return slug


def feature_slug(feature: str | None) -> str:
    """The feature as used in folders and front matter; `none` when there is none."""
    slug = slugify(feature or "")
    return slug or NO_FEATURE


def _check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise ValueError(f"unknown PHR stage {stage!r}; expected one of {', '.join(STAGES)}")
    return stage


def phr_folder(history_dir: Path, stage: str, feature: str | None) -> Path:
    """constitution -> prompts/constitution, general (or no feature) -> prompts/general,
    any other stage -> prompts/<feature-slug>."""
    _check_stage(stage)
    prompts = Path(history_dir) / "prompts"
    if stage == "constitution":
        return prompts / "constitution"
    slug = feature_slug(feature)
    if stage == "general" or slug == NO_FEATURE:
        return prompts / "general"
    return prompts / slug


def phr_filename(number: int, title: str, stage: str) -> str:
    slug = slugify(title, MAX_SLUG_LENGTH) or "untitled"
    return f"{format_number(number)}-{slug}.{stage}.prompt.md"


# --- placeholders ---------------------------------------------------------------------------

_CURLY = re.compile(r"\{\{[^{}\n]{0,200}\}\}")
_SQUARE = re.compile(r"\[([A-Z][A-Z0-9_]*)\](?![(\[:])")
_TEMPLATE_WORDS = frozenset(
    {
        "ID", "TITLE", "STAGE", "DATE", "FEATURE", "PROMPT", "RESPONSE", "MODEL", "BRANCH",
        "USER", "COMMAND", "LABELS", "LINKS", "FILES", "TESTS", "OUTCOME", "IMPACT",
        "REFLECTION", "SLUG", "PLACEHOLDER", "TBD", "FIXME",
    }
)  # fmt: skip
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?s)(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")


def _without_code(text: str) -> str:
    """Drop fenced blocks and inline code spans: their text is verbatim, not template."""
    kept: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        bare = line.rstrip("\r")
        if fence is None:
            match = _FENCE_OPEN.match(bare)
            if match:
                fence = match.group(1)
                continue
            kept.append(line)
        elif bare.strip().startswith(fence) and set(bare.strip()) == {fence[0]}:
            fence = None
    return _CODE_SPAN.sub("", "\n".join(kept))


def unresolved_placeholders(text: str) -> list[str]:
    """Template leftovers such as `{{TITLE}}` or `[PROJECT_NAME]`, outside code blocks/spans."""
    prose = _without_code(text)
    found = [match.group(0) for match in _CURLY.finditer(prose)]
    for match in _SQUARE.finditer(prose):
        word = match.group(1)
        if "_" in word.strip("_") or word in _TEMPLATE_WORDS:
            found.append(match.group(0))
    return found


def quote_placeholders(text: str) -> str:
    """Wrap placeholder-looking text in code spans, marking it as verbatim content.

    For model-written fields (a snapshot about a Jinja template, say) that should be kept
    rather than rejected by `write_phr`.
    """
    for leftover in sorted(set(unresolved_placeholders(text)), key=len, reverse=True):
        text = re.sub(rf"(?<!`){re.escape(leftover)}(?!`)", f"`{leftover}`", text)
    return text


# --- rendering ------------------------------------------------------------------------------


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())


def _or_none(value: str) -> str:
    return value if value else "none"


def fence_for(text: str) -> str:
    """A backtick fence longer than any backtick run inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _escape_headings(text: str) -> str:
    """Keep a `## ...` line in model text from being read as a PHR section."""
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = _FENCE_OPEN.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and line.strip() and set(line.strip()) == {fence[0]}:
            if len(line.strip()) >= len(fence):
                fence = None
        elif fence is None and re.match(r"^#{1,6}\s", line):
            line = "\\" + line
        out.append(line)
    if fence is not None:  # a snapshot cut inside a code block: close it
        out.append(fence)
    return "\n".join(out)


def _coerce_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"PHR date must be YYYY-MM-DD, got {value!r}") from exc


def normalized(record: PromptRecord) -> PromptRecord:
    """A checked, redacted copy with one-line titles and every link key present."""
    _check_stage(record.stage)
    if record.source not in SOURCES:
        raise ValueError(f"PHR source must be one of {', '.join(SOURCES)}, got {record.source!r}")
    links = record.links or {}
    unknown = set(links) - set(LINK_KEYS) - set(SESSION_LINK_KEYS)
    if unknown:
        raise ValueError(f"unknown PHR link keys {sorted(unknown)}; expected {LINK_KEYS}")
    if not _one_line(record.title or ""):
        raise ValueError("PHR title is empty")
    list_fields = ("labels", "files", "tests", "next_prompts")
    data: dict[str, Any] = {}
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        if item.name in list_fields:
            data[item.name] = [str(entry) for entry in (value or []) if entry is not None]
        elif item.name == "links":
            data[item.name] = {
                key: str(links[key]) if links.get(key) else None for key in LINK_KEYS
            }
            data[item.name].update(
                {key: str(links[key]) for key in SESSION_LINK_KEYS if links.get(key)}
            )
        elif item.name == "red_green":
            data[item.name] = [
                {"test": str(e["test"]), "red": bool(e["red"]), "green": bool(e["green"])}
                for e in value or []
            ]
        elif item.name != "date":
            data[item.name] = "" if value is None else str(value)
    # Redact plain strings only (a Path or number could otherwise carry a secret through).
    clean = PromptRecord(**redact_obj(data), date=_coerce_date(record.date))
    clean.title = _one_line(clean.title)
    clean.feature = feature_slug(clean.feature)
    for name in ("model", "branch", "user", "command", "surface", "status", "session"):
        setattr(clean, name, _one_line(getattr(clean, name)) or "none")
    for name in ("labels", "files", "tests"):
        setattr(clean, name, [_one_line(entry) for entry in getattr(clean, name) if entry.strip()])
    return clean


def front_matter(record: PromptRecord, number: int) -> dict[str, Any]:
    meta = {
        "id": number,
        "title": record.title,
        "stage": record.stage,
        "date": record.date,
        "surface": record.surface,
        "model": record.model,
        "feature": record.feature,
        "branch": record.branch,
        "user": record.user,
        "command": record.command,
        "labels": list(record.labels),
        "links": dict(record.links),
        "files": list(record.files),
        "tests": list(record.tests),
        "status": record.status,
        "source": record.source,
    }
    if record.session and record.session != "none":
        meta["session"] = record.session
    if record.red_green:
        meta["red_green"] = [dict(entry) for entry in record.red_green]
    return meta


class _FlowList(list):
    """Labels are written inline (`labels: [a, b]`), as Spec-Kit Plus does."""


class _PhrDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when present
    pass


_PhrDumper.add_representer(
    _FlowList,
    lambda dumper, data: dumper.represent_sequence(
        "tag:yaml.org,2002:seq", list(data), flow_style=True
    ),
)


def render_phr(record: PromptRecord, number: int) -> str:
    """The file text for an already `normalized` record."""
    meta_values = front_matter(record, number)
    meta_values["labels"] = _FlowList(meta_values["labels"])
    meta = yaml.dump(
        meta_values,
        Dumper=_PhrDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    parts = [f"---\n{meta}---\n"]
    notes = []
    if record.source == "scripted":
        notes.append(SCRIPTED_NOTE)
    if record.status != "ok":
        notes.append(f"> Run status: {record.status}.")
    if notes:
        parts.append("\n".join(notes) + "\n")
    fence = fence_for(record.prompt)
    parts.append(f"## Prompt\n\n{fence}text\n{record.prompt}\n{fence}\n")
    snapshot = _escape_headings(record.response_snapshot.strip()) or "No response text."
    parts.append(f"## Response snapshot\n\n{snapshot}\n")
    values = dataclasses.asdict(record)
    values["next_prompts"] = "; ".join(_one_line(item) for item in record.next_prompts)
    # Without a summary, list what the run touched rather than saying "none".
    values["files_summary"] = values["files_summary"] or ", ".join(record.files)
    values["tests_summary"] = values["tests_summary"] or ", ".join(record.tests)
    outcome = "\n".join(
        f"- {label}: {_or_none(_one_line(values[key]))}" for key, label in OUTCOME_BULLETS
    )
    parts.append(f"## Outcome\n\n{outcome}\n")
    evaluation = "\n".join(
        f"- {label}: {_or_none(_one_line(values[key]))}" for key, label in EVALUATION_BULLETS
    )
    parts.append(f"## Evaluation notes (flywheel)\n\n{evaluation}\n")
    return "\n".join(parts)


def write_phr(history_dir: Path, record: PromptRecord) -> Path:
    """Write the record under `history_dir/prompts/...` with the next free number."""
    clean = normalized(record)
    leftovers = unresolved_placeholders(render_phr(clean, 0))
    if leftovers:
        raise ValueError(f"PHR has unresolved placeholders: {', '.join(sorted(set(leftovers)))}")
    folder = phr_folder(history_dir, clean.stage, clean.feature)
    return allocate_numbered(
        folder,
        lambda number: phr_filename(number, clean.title, clean.stage),
        lambda number: redact(render_phr(clean, number)),
    )


# --- reading back ---------------------------------------------------------------------------


def split_front_matter(text: str, source: str = "PHR") -> tuple[dict[str, Any], str]:
    """(front matter, body); ValueError when there is none or it is not a YAML mapping.

    A YAML fault names `source`, and the line and column in the file.
    """
    lines = text.split("\n")
    if not lines or lines[0].rstrip("\r") != "---":
        raise ValueError("no YAML front matter (file must start with '---')")
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r") == "---":
            break
    else:
        raise ValueError("front matter is not closed by '---'")
    try:
        meta = load_yaml("\n".join(lines[1:index]), source, first_line=2)
    except DocumentError as exc:
        raise ValueError(f"{exc} (in the front matter)") from exc
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a YAML mapping")
    return meta, "\n".join(lines[index + 1 :])


def _sections(body: str) -> tuple[dict[str, str], str | None]:
    """Level-2 sections outside fences, and the verbatim prompt from the Prompt fence."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    fence: str | None = None
    prompt_lines: list[str] | None = None
    prompt: str | None = None
    for line in body.split("\n"):
        bare = line.rstrip("\r")
        if fence is None:
            heading = re.match(r"^## (.+?)\s*$", bare)
            if heading:
                current = heading.group(1)
                sections[current] = []
                continue
            match = _FENCE_OPEN.match(bare)
            if match:
                fence = match.group(1)
                if current == "Prompt" and prompt is None:
                    prompt_lines = []
        elif bare.strip() and set(bare.strip()) == {fence[0]} and len(bare.strip()) >= len(fence):
            fence = None
            if prompt_lines is not None:
                prompt = "\n".join(prompt_lines)
                prompt_lines = None
        elif prompt_lines is not None:
            prompt_lines.append(line)
        if current is not None:
            sections[current].append(line)
    return {name: "\n".join(text).strip() for name, text in sections.items()}, prompt


def _bullets(text: str, labels: tuple[tuple[str, str], ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.split("\n"):
        for key, label in labels:
            prefix = f"- {label}:"
            if line.startswith(prefix):
                found[key] = line[len(prefix) :].strip()
    return found


def parse_phr(path: Path) -> dict[str, Any]:
    """Read a PHR back: front matter, sections, the verbatim prompt, outcome and evaluation.

    Raises ValueError when the file has no readable front matter.
    """
    text = Path(path).read_bytes().decode("utf-8")
    meta, body = split_front_matter(text, Path(path).name)
    sections, prompt = _sections(body)
    return {
        "path": Path(path),
        "front_matter": meta,
        "sections": sections,
        "prompt": prompt,
        "response_snapshot": sections.get("Response snapshot", ""),
        "outcome": _bullets(sections.get("Outcome", ""), OUTCOME_BULLETS),
        "evaluation": _bullets(sections.get("Evaluation notes (flywheel)", ""), EVALUATION_BULLETS),
        "scripted": SCRIPTED_NOTE in body.split("## Prompt", 1)[0],
    }
