"""The stage templates: the project's own `.specify/templates/<kind>-template.md`, else the
built-in ones beside this module (written for this workbench in Spec-Kit Plus's shape:
bracketed placeholders, sections marked *(mandatory)*, `[NEEDS CLARIFICATION: ...]`)."""

from __future__ import annotations

from pathlib import Path

BUILT_IN = Path(__file__).resolve().parent / "templates"
PROJECT_TEMPLATES = ".specify/templates"
KINDS = ("spec", "plan", "tasks", "constitution")


def template_for(root: Path, kind: str) -> tuple[str, str]:
    """(text, where it came from) of the `kind` template: a project path or "built-in"."""
    if kind not in KINDS:
        raise ValueError(f"no {kind!r} template; there are {', '.join(KINDS)}")
    rel = f"{PROJECT_TEMPLATES}/{kind}-template.md"
    own = Path(root) / rel
    if own.is_file():
        return own.read_text(encoding="utf-8", errors="replace"), rel
    return (BUILT_IN / f"{kind}-template.md").read_text(encoding="utf-8"), "built-in"
