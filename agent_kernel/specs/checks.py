"""What a stage's file must be before the stage may end, read from the file and its template.

- no placeholder of the template left (`[FEATURE_NAME]`, `[an action]`, ...): the template
  itself says what its placeholders are, so a project's own templates are checked by theirs;
- no open question (`[NEEDS CLARIFICATION: ...]`): these are handed to the user instead;
- every section the template marks `*(mandatory)*` present;
- in `tasks.md`: tasks `T001`, `T002`, ... in order, each naming a file, and no two `[P]`
  (parallel) tasks touching the same file.

Code (fenced or inline) and HTML comments are never read as placeholders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCED = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_INLINE = re.compile(r"`[^`\n]*`")
_BRACKET = re.compile(r"\[([^\[\]\n]{1,200})\](?![(\[:])")
_QUESTION = re.compile(r"\[NEEDS CLARIFICATION:\s*([^\]\n]+)\]", re.IGNORECASE)
_BARE_OPEN = re.compile(r":\s*\**NEEDS CLARIFICATION\**\s*$", re.IGNORECASE | re.MULTILINE)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$", re.MULTILINE)
_MANDATORY = re.compile(r"\*?\(\s*mandatory\s*\)\*?", re.IGNORECASE)
_MARKER_NOTE = re.compile(r"\*\([^)]*\)\*")
_TASK = re.compile(r"^\s*[-*]\s+\[( |x|X)\]\s+(T\d{3,})\b(.*)$", re.MULTILINE)
_PATH = re.compile(r"(?:[\w.\-]+/)+[\w.\-]+\.\w+|\b[\w\-]+\.(?:py|md|toml|ini|cfg|json|yaml|yml)\b")
# Bracketed text that is markdown, not a placeholder: checkboxes, task markers, footnotes.
NOT_PLACEHOLDERS = frozenset({" ", "x", "X", "P", "P?", "ID", "NEEDS CLARIFICATION"})


@dataclass
class StageCheck:
    """The problems found in a stage's file; `questions` are for the user, not the model."""

    path: str
    problems: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.questions

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "problems": self.problems, "questions": self.questions}


def prose(text: str) -> str:
    """The text without code and comments: what is read for placeholders and questions."""
    return _INLINE.sub("", _COMMENT.sub("", _FENCED.sub("", text)))


def placeholders(template: str) -> set[str]:
    """The template's bracketed placeholders (their text), outside code and comments."""
    found = {match.group(1) for match in _BRACKET.finditer(prose(template))}
    return {
        item
        for item in found
        if item.strip()
        and item.strip() not in NOT_PLACEHOLDERS
        and not item.upper().startswith("NEEDS CLARIFICATION")
    }


def open_questions(text: str) -> list[str]:
    """Every `[NEEDS CLARIFICATION: question]` still in the file, in order, once each."""
    seen: dict[str, None] = {}
    for match in _QUESTION.finditer(prose(text)):
        seen.setdefault(match.group(1).strip(), None)
    return list(seen)


def _norm_heading(text: str) -> str:
    text = _MARKER_NOTE.sub("", _MANDATORY.sub("", text))
    return " ".join(re.sub(r"[^\w& ]+", " ", text).lower().split())


def mandatory_sections(template: str) -> list[str]:
    """The headings the template marks `*(mandatory)*`, as written there (marker removed)."""
    found = []
    for match in _HEADING.finditer(prose(template)):
        if _MANDATORY.search(match.group(2)):
            found.append(_MANDATORY.sub("", match.group(2)).strip())
    return found


def check_document(path: str, text: str, template: str) -> StageCheck:
    """Placeholders, open questions and mandatory sections of a stage's file."""
    check = StageCheck(path)
    body = prose(text)
    if not body.strip():
        check.problems.append(f"{path} is empty")
        return check
    left = sorted(
        {m.group(1) for m in _BRACKET.finditer(body)} & placeholders(template),
        key=body.find,
    )
    for item in left:
        check.problems.append(f"placeholder [{item}] is still in {path}; replace it")
    if _BARE_OPEN.search(body):
        check.problems.append(
            f"{path} has a field left as NEEDS CLARIFICATION; answer it or ask the user"
        )
    examples = set(open_questions(template))  # the template's own examples are no questions
    for question in open_questions(text):
        if question in examples:
            check.problems.append(
                f"the template's example [NEEDS CLARIFICATION: {question}] is still in {path}; "
                "remove it"
            )
        else:
            check.questions.append(question)
    present = {_norm_heading(m.group(2)) for m in _HEADING.finditer(body)}
    for section in mandatory_sections(template):
        if _norm_heading(section) not in present:
            check.problems.append(f"mandatory section '{section}' is missing from {path}")
    return check


@dataclass
class Task:
    number: int
    ident: str
    done: bool
    parallel: bool
    text: str
    paths: list[str]


def parse_tasks(text: str) -> list[Task]:
    """The `- [ ] T001 [P] ...` lines of a tasks file, outside code and comments."""
    tasks = []
    for match in _TASK.finditer(prose(text)):
        rest = match.group(3).strip()
        parallel = rest.startswith("[P]")
        description = rest[3:].strip() if parallel else rest
        tasks.append(
            Task(
                number=int(match.group(2)[1:]),
                ident=match.group(2),
                done=match.group(1) in "xX",
                parallel=parallel,
                text=description,
                paths=_PATH.findall(description),
            )
        )
    return tasks


def check_tasks(path: str, text: str) -> list[str]:
    """Numbering from T001 without gaps or repeats, a file per task, [P] on distinct files."""
    problems: list[str] = []
    tasks = parse_tasks(text)
    if not tasks:
        return [f"{path} lists no tasks (lines such as `- [ ] T001 [P] ... in path/file.py`)"]
    for expected, task in enumerate(tasks, 1):
        if task.number != expected:
            problems.append(
                f"{task.ident} is out of sequence: tasks are numbered T001, T002, ... in order "
                f"(expected T{expected:03d})"
            )
            break
    for task in tasks:
        if not task.paths:
            problems.append(f"{task.ident} names no file path; say which file it changes")
    owners: dict[str, str] = {}
    for task in tasks:
        if not task.parallel:
            continue
        for file in task.paths:
            if file in owners:
                problems.append(
                    f"{owners[file]} and {task.ident} are both [P] but touch {file}; "
                    "tasks on the same file run in sequence (drop one [P])"
                )
            owners.setdefault(file, task.ident)
    return problems


def tick_tasks(text: str, green_files: set[str]) -> tuple[str, list[str]]:
    """`[X]` on every open task whose named test files all went green; the text, the ids."""
    ticked: list[str] = []

    def tick(match: re.Match[str]) -> str:
        if match.group(1) in "xX":
            return match.group(0)
        files = [p for p in _PATH.findall(match.group(3)) if _is_test_path(p)]
        if not files or not all(file in green_files for file in files):
            return match.group(0)
        ticked.append(match.group(2))
        start = match.start(1) - match.start(0)
        whole = match.group(0)
        return whole[:start] + "X" + whole[start + 1 :]

    return _TASK.sub(tick, text), ticked


def _is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))
