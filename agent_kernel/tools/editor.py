"""Anthropic's text editor tool (`text_editor_20250728`), confined to the workspace.

The schema is Anthropic's own (the model is trained on it), so only the behaviour lives
here: every path goes through `Workspace.resolve`, and every error says what to do next.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..project.workspace import is_special, read_regular
from .base import OUTPUT_CAP, ToolContext, ToolError, cap_output

SNIPPET_CONTEXT = 4
COMMANDS = ("view", "create", "str_replace", "insert")


def _number(lines: list[str], first: int) -> str:
    return "\n".join(f"{first + i:6}\t{line}" for i, line in enumerate(lines))


def _read(path: Path, shown: str) -> str:
    if not path.exists():
        raise ToolError(f"{shown} does not exist; use `create` to make it, or `view` a folder")
    if path.is_dir():
        raise ToolError(f"{shown} is a directory; this command needs a file")
    try:
        return read_regular(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ToolError(f"{shown} is not a UTF-8 text file") from exc
    except OSError as exc:
        raise ToolError(f"{shown} cannot be read: {exc}") from exc


def _write(path: Path, text: str) -> None:
    if is_special(path):  # writing to a FIFO would wait for a reader forever
        raise ToolError(f"{path.name} is a FIFO, socket or device, not a file the editor writes")
    path.write_bytes(text.encode("utf-8"))


def _lines_with_ends(text: str) -> list[str]:
    """Lines split on '\\n' only (as `view` numbers them), each keeping its newline."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _required(tool_input: dict[str, Any], key: str, command: str, kind: type = str) -> Any:
    value = tool_input.get(key)
    if value is None:
        raise ToolError(f"`{command}` needs the `{key}` parameter")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ToolError(f"`{key}` must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _snippet(text: str, first_line: int, last_line: int) -> str:
    """Numbered lines around an edit, so the model can check it without another `view`."""
    lines = text.split("\n")
    start = max(1, first_line - SNIPPET_CONTEXT)
    end = min(len(lines), last_line + SNIPPET_CONTEXT)
    return _number(lines[start - 1 : end], start)


class TextEditorTool:
    """`str_replace_based_edit_tool`: view, create, str_replace and insert inside the workspace."""

    name = "str_replace_based_edit_tool"
    quick = True  # reads and writes a file in the workspace

    def definition(self) -> dict[str, Any]:
        return {"type": "text_editor_20250728", "name": self.name}

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        command = tool_input.get("command")
        if command == "undo_edit":
            raise ToolError(
                "`undo_edit` is not supported by this version of the editor; "
                "revert a change with `str_replace` instead"
            )
        if command not in COMMANDS:
            raise ToolError(f"unknown command {command!r}; use one of: {', '.join(COMMANDS)}")
        raw_path = _required(tool_input, "path", command)
        path = ctx.resolve(raw_path)
        shown = ctx.workspace.relative(path)
        handler = getattr(self, f"_{command}")
        return cap_output(handler(tool_input, ctx, path, shown))

    # -- commands ----------------------------------------------------------------------

    def _view(self, tool_input: dict[str, Any], ctx: ToolContext, path: Path, shown: str) -> str:
        if path.is_dir():
            if tool_input.get("view_range") is not None:
                raise ToolError("`view_range` applies to files, not directories")
            return self._listing(ctx, path, shown)
        text = _read(path, shown)
        lines = text.split("\n") if text else []
        if text.endswith("\n"):
            lines.pop()
        if not lines:
            return f"{shown} is empty"
        view_range = tool_input.get("view_range")
        if view_range is None:
            numbered = _number(lines, 1)
            if len(numbered) > OUTPUT_CAP:
                numbered = (
                    f"{shown} has {len(lines)} lines, too long to show whole: its middle is cut. "
                    "Use `view_range` to read a part.\n" + numbered
                )
            return numbered
        if (
            not isinstance(view_range, list)
            or len(view_range) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in view_range)
        ):
            raise ToolError("`view_range` must be two integers [start, end]; end -1 means EOF")
        start, end = view_range
        total = len(lines)
        if not 1 <= start <= total:
            raise ToolError(f"view_range start {start} is outside the file's lines 1-{total}")
        if end == -1 or end > total:
            end = total
        if end < start:
            raise ToolError(f"view_range end {end} is before its start {start}")
        return _number(lines[start - 1 : end], start)

    def _listing(self, ctx: ToolContext, path: Path, shown: str) -> str:
        entries: list[str] = []
        for dirpath, dirnames, filenames in os.walk(path):
            here = Path(dirpath)
            depth = len(here.relative_to(path).parts)
            dirnames[:] = sorted(
                d for d in dirnames if not d.startswith(".") and d != "__pycache__"
            )
            for name in dirnames:
                entries.append(ctx.workspace.relative(here / name) + "/")
            for name in sorted(filenames):
                if not name.startswith(".") and not name.endswith(".pyc"):
                    entries.append(ctx.workspace.relative(here / name))
            if depth >= 1:
                dirnames[:] = []  # two levels: the folder's entries and theirs
        header = f"Files and directories up to 2 levels deep in {shown}, excluding hidden items:"
        return "\n".join([header, *sorted(entries)])

    def _create(self, tool_input: dict[str, Any], ctx: ToolContext, path: Path, shown: str) -> str:
        file_text = _required(tool_input, "file_text", "create")
        if path.is_dir():
            raise ToolError(f"{shown} is a directory; `create` needs a file path")
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, file_text)
        verb = "Overwrote" if existed else "Created"
        return f"{verb} {shown} ({len(file_text.splitlines())} lines)"

    def _str_replace(
        self, tool_input: dict[str, Any], ctx: ToolContext, path: Path, shown: str
    ) -> str:
        old = _required(tool_input, "old_str", "str_replace")
        new = tool_input.get("new_str") or ""
        if not isinstance(new, str):
            raise ToolError(f"`new_str` must be a string, got {type(new).__name__}")
        if old == "":
            raise ToolError("`old_str` is empty; give the exact text to replace")
        text = _read(path, shown)
        starts = []
        at = text.find(old)
        while at != -1:
            starts.append(at)
            at = text.find(old, at + 1)
        if not starts:
            raise ToolError(
                f"No match for `old_str` in {shown}: it must match the file exactly, "
                "including whitespace and indentation; use `view` to see the current text"
            )
        if len(starts) > 1:
            lines = ", ".join(str(text.count("\n", 0, s) + 1) for s in starts)
            raise ToolError(
                f"`old_str` occurs {len(starts)} times in {shown} (at lines {lines}); "
                "include more surrounding lines so that it matches exactly once"
            )
        updated = text[: starts[0]] + new + text[starts[0] + len(old) :]
        _write(path, updated)
        first = text.count("\n", 0, starts[0]) + 1
        last = first + new.count("\n")
        return f"Edited {shown}. The changed region now reads:\n{_snippet(updated, first, last)}"

    def _insert(self, tool_input: dict[str, Any], ctx: ToolContext, path: Path, shown: str) -> str:
        line = _required(tool_input, "insert_line", "insert", int)
        # `insert_text` is the 20250728 name; older editor versions called it `new_str`.
        if tool_input.get("insert_text") is None and isinstance(tool_input.get("new_str"), str):
            tool_input = {**tool_input, "insert_text": tool_input["new_str"]}
        insert_text = _required(tool_input, "insert_text", "insert")
        text = _read(path, shown)
        lines = _lines_with_ends(text)
        if not 0 <= line <= len(lines):
            raise ToolError(
                f"insert_line {line} is outside 0-{len(lines)} "
                f"(0 inserts at the top, {len(lines)} after the last line of {shown})"
            )
        if line == len(lines) and lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        block = insert_text if insert_text.endswith("\n") else insert_text + "\n"
        updated = "".join(lines[:line]) + block + "".join(lines[line:])
        _write(path, updated)
        first = line + 1
        last = line + block.count("\n")
        return f"Inserted into {shown} after line {line}:\n{_snippet(updated, first, last)}"
