"""Load code written for Python 3.12 on 3.11: `type X = ...` statements become assignments.

BaxBench's modules declare type aliases with the 3.12 `type` statement, a syntax error on
3.11. The finder below serves only modules under one folder (a BaxBench `src/`), through a
loader that rewrites those statements to plain assignments before compiling; everything else
imports as usual. On 3.12 and later it changes nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import re
import sys
from pathlib import Path
from typing import Any

# `type Name = value` or `type Name[T] = value` at the start of a statement line.
TYPE_ALIAS = re.compile(r"^(?P<indent>[ \t]*)type[ \t]+(?P<name>[A-Za-z_]\w*)(\[[^\]]*\])?[ \t]*=")
NEEDS_REWRITE = sys.version_info < (3, 12)


def rewrite_type_aliases(source: str) -> str:
    """The same source with each `type X = v` as `X = v` (line numbers are kept)."""
    return "\n".join(
        TYPE_ALIAS.sub(lambda m: f"{m['indent']}{m['name']} =", line) for line in source.split("\n")
    )


class _Loader(importlib.machinery.SourceFileLoader):
    def source_to_code(self, data: Any, path: Any, *, _optimize: int = -1) -> Any:
        text = importlib.util.decode_source(data) if isinstance(data, bytes) else data
        return compile(rewrite_type_aliases(text), path, "exec", dont_inherit=True)


class TypeAliasFinder(importlib.abc.MetaPathFinder):
    """Finds the top-level modules and packages of `root` and loads them rewritten."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        search = [str(self.root)] if path is None else list(path)
        if not any(Path(entry).resolve().is_relative_to(self.root) for entry in search):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, search)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        spec.loader = _Loader(spec.loader.name, spec.loader.path)
        return spec


def install(root: Path) -> TypeAliasFinder | None:
    """Put `root` on sys.path; on 3.11 also the rewriting finder in front (None on 3.12+)."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    if not NEEDS_REWRITE:
        return None
    finder = TypeAliasFinder(root)
    sys.meta_path.insert(0, finder)
    return finder
