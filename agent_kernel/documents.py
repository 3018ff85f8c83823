"""YAML that people write (cassettes, agent files, task files, PHRs), read with a place.

PyYAML names its input `"<unicode string>"` when it is given text; a person needs the file,
the line and the column, counted in the file even when the YAML is a front matter block.
A leaf: imports nothing of the workbench.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DocumentError(ValueError):
    """YAML that does not parse; the message starts with `file: line L, column C:`."""


def load_yaml(text: str, source: Path | str, *, first_line: int = 1) -> Any:
    """Parse `text` (safe loader); `first_line` is where it starts in the file `source`."""
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise DocumentError(describe(exc, source, first_line=first_line)) from exc


def describe(exc: yaml.YAMLError, source: Path | str, *, first_line: int = 1) -> str:
    """`name: line L, column C: problem (context)` from a PyYAML error, in one line."""
    name = Path(source).name if isinstance(source, Path) else str(source)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context and context != problem else problem
    if mark is None:
        return f"{name}: not valid YAML: {detail}"
    line = mark.line + first_line
    return f"{name}: line {line}, column {mark.column + 1}: not valid YAML: {detail}"


def key_line(text: str, path: tuple[str | int, ...], *, first_line: int = 1) -> int | None:
    """The line in the file of the key (or list item) at `path`, e.g. ("turns", 0, "text").

    Read from the YAML's node tree, so it names the line a person would open; the deepest
    part of the path that exists when the rest does not. None when the text does not parse.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line: int | None = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = next((pair for pair in node.value if pair[0].value == str(part)), None)
            if found is None:
                break
            line, node = found[0].start_mark.line, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return None if line is None else line + first_line


def unknown_keys(schema: Any, data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(where, key) for each key that `schema` (a pydantic model, extra="forbid") does not know.

    Only unknown keys are reported here; the loader's own checks say what else is wrong, in
    its own words. Pydantic is imported on this path only.
    """
    from pydantic import ValidationError

    try:
        schema.model_validate(data)
    except ValidationError as exc:
        found = []
        for error in exc.errors():
            if error["type"] == "extra_forbidden":
                *where, key = error["loc"]
                found.append((tuple(where), str(key)))
        return found
    return []


def place(where: tuple[str | int, ...]) -> str:
    """`turns[2].tool_calls[1]` for ("turns", 1, "tool_calls", 0): counted from 1, as people do."""
    text = ""
    for part in where:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the top level"
