"""Workspace code is compiled from its source on every import, never taken from a .pyc.

Python trusts a cached .pyc while the source keeps its size and its modification time in
whole seconds. The agent edits files milliseconds apart: an edit that keeps the size
(`status_code=200` to `201`) within the second in which an import cached the file leaves a
.pyc that still looks current, and the next import (a test run, a live check) would run the
old code. Modules under a workspace root therefore load through a loader that neither reads
nor writes bytecode; they are small, and compiling them costs a few milliseconds.

`python -m agent_kernel.project.source_only ARGS` is `python -m pytest ARGS` with this in place for
the current directory (the workspace's test runs when they cannot fork from the warm server).
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import (
    BYTECODE_SUFFIXES,
    EXTENSION_SUFFIXES,
    SOURCE_SUFFIXES,
    ExtensionFileLoader,
    FileFinder,
    SourceFileLoader,
    SourcelessFileLoader,
)
from pathlib import Path
from typing import Any


class SourceOnlyLoader(SourceFileLoader):
    """A source loader without file stats: importlib then neither reads nor writes a .pyc."""

    def path_stats(self, path: str) -> Any:
        raise OSError("workspace code is compiled from source")


# The standard loaders for a directory, with the source loader replaced.
_LOADERS = (
    (ExtensionFileLoader, EXTENSION_SUFFIXES),
    (SourceOnlyLoader, SOURCE_SUFFIXES),
    (SourcelessFileLoader, BYTECODE_SUFFIXES),
)


class _WorkspaceHook:
    """A path hook that claims the directories under one root, and only those."""

    def __init__(self, root: str) -> None:
        self.root = root

    def __call__(self, path: str) -> FileFinder:
        if not _under(os.path.realpath(path or os.getcwd()), self.root):
            raise ImportError("not under the workspace")
        return FileFinder(path, *_LOADERS)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def install(root: Path | str) -> None:
    """From now on in this process, modules under `root` are compiled from source."""
    real = os.path.realpath(root)
    if any(isinstance(hook, _WorkspaceHook) and hook.root == real for hook in sys.path_hooks):
        return  # every finder cached for that root since then is the hook's own
    sys.path_hooks.insert(0, _WorkspaceHook(real))
    # Directories already looked at keep their finders in this cache: forget those under root.
    for path in list(sys.path_importer_cache):
        if isinstance(path, str) and _under(os.path.realpath(path or os.getcwd()), real):
            del sys.path_importer_cache[path]


def main(argv: list[str]) -> int:
    install(Path.cwd())
    import pytest

    return int(pytest.main(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
