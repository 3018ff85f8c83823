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
