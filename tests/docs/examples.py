"""The shell examples of the README and the site that run offline, as written.

A block is marked by its fence's info string: ```sh title="offline"```. Fences are matched by
their length, so an example of a marked block inside a longer fence is not one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MARK = re.compile(r'^sh\b.*\btitle="offline"')


@dataclass(frozen=True)
class Example:
    source: Path
    line: int
    command: str

    def __str__(self) -> str:
        return f"{self.source.relative_to(REPO)}:{self.line}: {self.command}"


def documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def offline_examples(path: Path) -> list[Example]:
    found: list[Example] = []
    fence: str | None = None
    marked = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if fence is None:
            opened = re.match(r"^(`{3,})(.*)$", stripped)
            if opened:
                fence, marked = opened.group(1), bool(MARK.match(opened.group(2).strip()))
            continue
        if stripped.startswith(fence) and stripped.strip("`") == "":
            fence, marked = None, False
            continue
        if marked and stripped and not stripped.startswith("#"):
            found.append(Example(path, number, stripped))
    return found


def all_offline_examples() -> list[Example]:
    return [example for path in documents() for example in offline_examples(path)]
