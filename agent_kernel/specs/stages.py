"""The `/sp.<stage>` commands: what the workbench lays down before the model starts, and checks
after it wrote.

Spec-Kit Plus's scripts number the feature and copy the template; here the workbench does
that, deterministically, before the first request: `/sp.specify` allocates
`specs/NNN-short-name/` and copies the project's `.specify/templates/spec-template.md` (or the
built-in one) to `spec.md`; `/sp.plan` and `/sp.tasks` add `plan.md` and `tasks.md` to the
current feature; `/sp.constitution` lays down `.specify/memory/constitution.md`. The model is
told the path and fills the file; when it submits its contract the file is checked
(`checks`), and whatever is still open goes back to it, or, for a question, to the user.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from .checks import StageCheck, check_document, check_tasks, prose
from .features import SPECS_DIR, allocate_feature, find_feature
from .templates import template_for

COMMAND = re.compile(r"^\s*/sp\.([a-z]+)\b[ \t]*(.*)$", re.DOTALL)
_FEATURE_OPTION = re.compile(r"(?:^|\s)--feature[ =](\S+)")
# stage -> the PHR stage its record carries (implement: red or green, from its tests)
STAGES = {
    "constitution": "constitution",
    "specify": "spec",
    "clarify": "spec",
    "plan": "plan",
    "tasks": "tasks",
    "implement": "green",
}
CONSTITUTION = ".specify/memory/constitution.md"
_CAPS = re.compile(r"\[([A-Z][A-Z0-9_ ]{2,})\]")


class StageError(ValueError):
    """A stage that cannot start: unknown, or what it builds on is missing."""


@dataclass
class StageRun:
    """One stage of one run: its file, the template it is checked against, its feature."""

    name: str
    arguments: str
    path: str  # the file the model fills, relative to the project
    template: str
    template_source: str  # the project's template file, or "built-in"
    feature: str | None = None
    created: bool = False  # the workbench laid the file down for this run
    extra_placeholders: set[str] = field(default_factory=set)

    @property
    def phr_stage(self) -> str:
        return STAGES[self.name]

    @property
    def spec_path(self) -> str | None:
        return f"{SPECS_DIR}/{self.feature}/spec.md" if self.feature else None

    def check(self, root: Path) -> StageCheck:
        """What is still wrong with the stage's file (nothing to check for implement)."""
        target = Path(root) / self.path
        if self.name == "implement":
            return StageCheck(self.path)
        if not target.is_file():
            return StageCheck(self.path, [f"{self.path} is missing; write it"])
        text = target.read_text(encoding="utf-8", errors="replace")
        result = check_document(self.path, text, self.template)
        for item in sorted(self.extra_placeholders):
            said = any(f"[{item}]" in problem for problem in result.problems)
            if f"[{item}]" in prose(text) and not said:
                result.problems.append(f"placeholder [{item}] is still in {self.path}; replace it")
        if self.name == "tasks":
            result.problems += check_tasks(self.path, text)
        return result

    def instructions(self) -> str:
        """The system prompt's section for this stage."""
        source = (
            "the workbench's built-in template"
            if self.template_source == "built-in"
            else f"the project's template `{self.template_source}`"
        )
        laid = (
            f"The workbench has laid down `{self.path}` from {source}."
            if self.created
            else f"`{self.path}` is the stage's file (it existed already; revise it in place)."
        )
        feature = f"; the feature is `{self.feature}`" if self.feature else ""
        lines = [
            f"## This request is the /sp.{self.name} stage of spec-driven work\n",
            f"{laid} {STAGE_TASKS[self.name]}",
            "",
            f"- In `submit_result`, set `phr.stage` to `{self.phr_stage}` and `phr.feature` to "
            f"`{self.feature or 'none'}`{feature}.",
        ]
        if self.name != "implement":
            lines.append(
                f"- Before the stage ends the workbench checks `{self.path}`: no bracketed "
                "placeholder of the template left, every section the template marks "
                "*(mandatory)* present, and no `[NEEDS CLARIFICATION: ...]` left. Where you "
                "need the user's decision, write `[NEEDS CLARIFICATION: your question]` (or "
                "call ask_user): the workbench asks the user and hands you the answer."
            )
        if self.name == "plan":
            lines.append(
                "- List each design decision in the contract's `decisions`, with honest "
                "`long_term_impact` / `cross_cutting` flags and the alternatives: significant "
                "ones are shown to the user as ADR suggestions. Never write an ADR yourself."
            )
        if self.name == "tasks":
            lines.append(
                "- Tasks are `- [ ] T001 [P] ... in path/to/file.py`: numbered from T001 in "
                "order, each naming its file, [P] only on tasks touching files no other [P] "
                "task touches; tests before the code they test."
            )
        if self.name == "implement":
            lines.append(
                "- Work through the tasks in order, tests first. The workbench runs every new or "
                "changed test file against the code as it was before this run (each must fail "
                "there) and as it is after (each must pass), and ticks `[X]` the tasks whose "
                "tests went green. Name those tests in your acceptance checks."
            )
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "phr_stage": self.phr_stage,
            "feature": self.feature,
            "path": self.path,
            "template": self.template_source,
            "created": self.created,
        }


STAGE_TASKS = {
    "constitution": (
        "Fill it with the project's principles (read the code and the project memory first); "
        "keep each one short and testable."
    ),
    "specify": (
        "Write the feature's specification into it from the description in the prompt: what "
        "the users need and why, testable requirements and acceptance scenarios, no code."
    ),
    "clarify": (
        "Find what the spec leaves open (ask the user, with ask_user, at most five short "
        "questions), record each answer under `## Clarifications` as `- Q: ... → A: ...`, and "
        "update the requirements it touches."
    ),
    "plan": (
        "Write the implementation plan for the feature's spec into it: read the spec, the "
        "constitution and the code it touches; name real files of this project."
    ),
    "tasks": (
        "Break the plan into ordered tasks in it: read plan.md and spec.md of the feature first."
    ),
    "implement": (
        "Carry out the tasks of this file: read tasks.md, plan.md and spec.md first; write the "
        "tests of a task before its code."
    ),
}


def parse_command(prompt: str) -> tuple[str, str] | None:
    """(stage, arguments) of a `/sp.<stage> ...` prompt; None for any other prompt.

    An unknown stage raises StageError naming the ones there are."""
    match = COMMAND.match(prompt)
    if match is None:
        return None
    stage = match.group(1)
    if stage not in STAGES:
        known = ", ".join(f"/sp.{name}" for name in STAGES)
        raise StageError(f"/sp.{stage} is not a stage the workbench runs; it runs {known}")
    return stage, match.group(2).strip()


def prepare_stage(
    prompt: str,
    root: Path,
    *,
    feature: str | None = None,
    session_feature: str | None = None,
    today: dt.date | None = None,
) -> StageRun | None:
    """Lay down the stage's file for a `/sp.*` prompt; None when the prompt is no stage."""
    parsed = parse_command(prompt)
    if parsed is None:
        return None
    name, arguments = parsed
    option = _FEATURE_OPTION.search(arguments)
    if option:
        feature = feature or option.group(1)
        arguments = (arguments[: option.start()] + arguments[option.end() :]).strip()
    root = Path(root)
    today = today or dt.date.today()
    if name == "constitution":
        return _constitution(root, arguments)
    if name == "specify":
        if not arguments:
            raise StageError("/sp.specify needs the feature's description after it")
        folder = allocate_feature(root, arguments)
        return _lay_down(root, name, "spec", folder, arguments, today)
    folder = find_feature(root, feature, session_feature)
    needs = {"clarify": "spec.md", "plan": "spec.md", "tasks": "plan.md", "implement": "tasks.md"}
    before = {"spec.md": "/sp.specify", "plan.md": "/sp.plan", "tasks.md": "/sp.tasks"}
    required = needs[name]
    if not (root / SPECS_DIR / folder / required).is_file():
        raise StageError(
            f"/sp.{name} needs {SPECS_DIR}/{folder}/{required}: run {before[required]} first"
        )
    if name == "clarify":
        template, source = template_for(root, "spec")
        return StageRun(name, arguments, f"{SPECS_DIR}/{folder}/spec.md", template, source, folder)
    if name == "implement":
        template, source = template_for(root, "tasks")
        return StageRun(name, arguments, f"{SPECS_DIR}/{folder}/tasks.md", template, source, folder)
    return _lay_down(root, name, name, folder, arguments, today)


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _lay_down(
    root: Path, name: str, kind: str, folder: str, arguments: str, today: dt.date
) -> StageRun:
    """Copy the template into the feature folder (unless the file exists), machine facts filled."""
    template, source = template_for(root, kind)
    rel = f"{SPECS_DIR}/{folder}/{kind}.md"
    target = root / rel
    created = False
    if not target.exists():
        spec = f"{SPECS_DIR}/{folder}/spec.md"
        values = {
            "[DATE]": today.isoformat(),
            "[FEATURE_FOLDER]": f"{SPECS_DIR}/{folder}",
            "[###-feature-name]": folder,
            "[###-feature]": folder,
            "[SPEC_PATH]": spec,
            "$ARGUMENTS": arguments.replace('"', "'"),
            "[DESCRIPTION]": arguments.replace('"', "'"),
        }
        if kind != "spec":
            values["[link]"] = spec
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_fill(template, values), encoding="utf-8")
        created = True
    return StageRun(name, arguments, rel, template, source, folder, created)


def _constitution(root: Path, arguments: str) -> StageRun:
    template, source = template_for(root, "constitution")
    target = root / CONSTITUTION
    created = False
    extra: set[str] = set()
    if target.is_file():  # Spec-Kit lays down a constitution full of [PLACEHOLDERS]
        text = target.read_text(encoding="utf-8", errors="replace")
        extra = set(_CAPS.findall(prose(text)))  # not the examples in its comments
        if extra:  # still the project's template: it is what the stage is checked against
            template, source = text, CONSTITUTION
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template, encoding="utf-8")
        created = True
    return StageRun("constitution", arguments, CONSTITUTION, template, source, None, created, extra)


STAGE_KEY = "stage"  # where a run's StageRun sits in the tools' context
