"""Code references in the agent's text (`start:end:path`), shown as the real workspace lines.

The agent cites code as `12:20:sandbox_app/api/routes/items.py`. A reader should see those
lines as they are in the workspace, not as the model remembers them, so each reference is
read through `Workspace.resolve`: a path outside the workspace, a missing file or a range
past the end is skipped silently (the text still shows the reference itself).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from ..project.workspace import PathRefused, Workspace

# start:end:path, the path relative and ending in a file extension; not preceded by a word
# character, a colon or a slash (so times, URLs and `a:b:c:d` chains do not match).
REF_PATTERN = re.compile(r"(?<![\w:/.\-])(\d{1,6}):(\d{1,6}):((?:[\w.\-]+/)*[\w.\-]*\w\.\w+)")
MAX_LINES = 60


@dataclass(frozen=True)
class CodeRef:
    """One `start:end:path` found in a text."""

    start: int
    end: int
    path: str

    @property
    def label(self) -> str:
        return f"{self.start}:{self.end}:{self.path}"


@dataclass(frozen=True)
class CodeSnippet:
    """The lines a reference points at, as read from the workspace."""

    ref: CodeRef
    lines: tuple[str, ...]
    truncated: bool = False

    @property
    def last(self) -> int:
        """The last line shown (the range is clamped to the file's end)."""
        return self.ref.start + len(self.lines) - 1

    def text(self) -> str:
        """Plain text: a header line, then numbered lines."""
        width = len(str(self.last))
        body = [
            f"{number:>{width}} | {line}"
            for number, line in enumerate(self.lines, start=self.ref.start)
        ]
        if self.truncated:
            body.append(f"{'':>{width}} | … (cut at {MAX_LINES} lines)")
        return "\n".join([f"--- {self.ref.path} lines {self.ref.start}-{self.last}", *body])

    def html(self) -> str:
        rows = "".join(
            f'<span style="color:#888;user-select:none">{number:>4} </span>{html.escape(line)}\n'
            for number, line in enumerate(self.lines, start=self.ref.start)
        )
        more = f"<i>… cut at {MAX_LINES} lines</i>" if self.truncated else ""
        return (
            '<div class="wb-code-ref" style="margin:4px 0">'
            f'<div style="font-size:0.85em;color:#555"><code>{html.escape(self.ref.path)}</code>'
            f" lines {self.ref.start}-{self.last}</div>"
            '<pre style="margin:0;padding:4px 6px;background:#f6f8fa;border-left:3px solid '
            f'#0969da;overflow-x:auto">{rows}</pre>{more}</div>'
        )


def find_refs(text: str) -> list[CodeRef]:
    """Every distinct `start:end:path` in `text`, in order of first appearance."""
    seen: dict[CodeRef, None] = {}
    for match in REF_PATTERN.finditer(text or ""):
        start, end = int(match.group(1)), int(match.group(2))
        path = match.group(3)
        if start < 1 or end < start or path.startswith("/"):
            continue
        seen.setdefault(CodeRef(start, end, path), None)
    return list(seen)


def read_ref(workspace: Workspace | Path | str, ref: CodeRef) -> CodeSnippet | None:
    """The referenced lines, or None when the path is refused, missing or out of range."""

    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    try:
        path = ws.resolve(ref.path)
        if not path.is_file():
            return None
        lines = path.read_text(encoding="utf-8").splitlines()
    except (PathRefused, OSError, UnicodeDecodeError):
        return None
    if ref.start > len(lines):
        return None
    end = min(ref.end, len(lines))
    chosen = lines[ref.start - 1 : end]
    truncated = len(chosen) > MAX_LINES
    return CodeSnippet(ref, tuple(chosen[:MAX_LINES]), truncated)


def snippets(text: str, workspace: Workspace | Path | str | None) -> list[CodeSnippet]:
    """The snippets for every readable reference in `text` (none without a workspace)."""
    if workspace is None:
        return []
    found = (read_ref(workspace, ref) for ref in find_refs(text))
    return [snippet for snippet in found if snippet is not None]
