"""Permission rules in Claude Code's form: `permissions.allow`, `deny` and `ask`.

Read from the user's `~/.claude/settings.json` and the project's `.claude/settings.json` and
`.claude/settings.local.json` in the user's own tree (never the workspace the agent edits),
after the workbench's defaults, which deny reading or writing `.env*`, `.git/`, `.claude/`,
`.mcp.json` and key files. A rule names a tool as Claude Code does (`Read(./.env)`,
`Edit(src/**)`, `Bash(git diff:*)`, `mcp__docs__*`), mapped onto the workbench's tools as the
agent file's names are: `Read` covers the editor's `view`, `Edit`/`Write` its writes, `Bash`
and `Grep` are `run_command`. Deny wins over ask, ask over allow; a denied call answers the
model with the rule and where it came from; an `ask` rule waits for the approver of the run
(with nobody to approve, the call is refused).
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec

from .base import Tool, ToolContext, ToolError
from .permissions import Approver, EditProposal
from .suppressed import WRITE_COMMANDS

EDITOR = "str_replace_based_edit_tool"
EFFECTS = ("deny", "ask", "allow")
PATH_TOOLS = ("Read", "Edit", "Write", "MultiEdit", "Glob")
DEFAULT_DENY = tuple(
    f"{verb}({pattern})"
    for verb in ("Read", "Edit")
    for pattern in (
        ".env",
        ".env.*",
        ".git/**",
        ".git",
        ".claude/**",
        ".mcp.json",
        "*.pem",
        "*.key",
        "id_rsa*",
        "id_ecdsa*",
        "id_ed25519*",
    )
)
SETTINGS_FILES = (".claude/settings.json", ".claude/settings.local.json")
NATIVE_NAMES = {
    "run_tests": ("run_tests", "mcp__workbench__run_tests"),
    "inspect_api": ("inspect_api", "mcp__workbench__inspect_api"),
    "ask_user": ("ask_user", "AskUserQuestion"),
}


class PermissionRulesError(ValueError):
    """A settings file whose permissions cannot be read, named with the reason."""


@dataclass(frozen=True)
class Rule:
    effect: str
    tool: str
    specifier: str | None
    origin: str

    def __str__(self) -> str:
        spec = f"({self.specifier})" if self.specifier is not None else ""
        return f"{self.tool}{spec}"

    @classmethod
    def parse(cls, text: str, effect: str, origin: str) -> Rule:
        text = text.strip()
        if "(" in text and text.endswith(")"):
            tool, _, rest = text.partition("(")
            return cls(effect, tool.strip(), rest[:-1].strip(), origin)
        return cls(effect, text, None, origin)


def load_rules(project: Path | None, home: Path | None = None) -> list[Rule]:
    """The defaults, then the user's settings, then the project's (all deny rules count)."""
    rules = [Rule.parse(text, "deny", "the workbench's defaults") for text in DEFAULT_DENY]
    home = home if home is not None else Path(os.environ.get("HOME") or Path.home())
    files = [home / ".claude" / "settings.json"]
    if project is not None:
        files += [project / name for name in SETTINGS_FILES]
    for path in files:
        rules += _read(path)
    return rules


def _read(path: Path) -> list[Rule]:
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise PermissionRulesError(f"{path}: cannot read its permissions: {exc}") from exc
    permissions = data.get("permissions", {}) if isinstance(data, dict) else {}
    if not isinstance(permissions, dict):
        raise PermissionRulesError(f"{path}: `permissions` must be an object")
    rules: list[Rule] = []
    for effect in EFFECTS:
        entries = permissions.get(effect, [])
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise PermissionRulesError(f"{path}: permissions.{effect} must be a list of strings")
        rules += [Rule.parse(entry, effect, str(path)) for entry in entries]
    return rules


@dataclass(frozen=True)
class Call:
    """A tool call in Claude Code's terms: the names it answers to, and what it touches."""

    names: tuple[str, ...]
    path: str | None = None  # workspace-relative, for file tools
    command: str | None = None  # the argv as one line, for Bash

    @classmethod
    def of(cls, tool: str, tool_input: dict[str, Any], ctx: ToolContext) -> Call:
        if tool == EDITOR:
            raw = str(tool_input.get("path", ""))
            try:
                rel = ctx.workspace.relative(ctx.workspace.resolve(raw))
            except Exception:
                rel = raw.lstrip("./") or "."
            if tool_input.get("command") in WRITE_COMMANDS:
                return cls(("Edit", "Write", "MultiEdit", EDITOR), path=rel)
            return cls(("Read", "Glob", EDITOR), path=rel)
        if tool == "run_command":
            argv = tool_input.get("argv")
            line = shlex.join(argv) if isinstance(argv, list) else str(argv)
            names = (
                ("Bash", "Grep", tool) if line.startswith(("grep", "git grep")) else ("Bash", tool)
            )
            return cls(names, command=line)
        return cls(NATIVE_NAMES.get(tool, (tool,)))


def _path_matches(pattern: str, rel: str) -> bool:
    if pattern.startswith("./"):
        pattern = "/" + pattern[2:]
    elif pattern.startswith(("//", "~/")):
        return False  # outside every workspace: the tools refuse such paths already
    spec = pathspec.GitIgnoreSpec.from_lines([pattern])
    return rel != "." and (spec.match_file(rel) or spec.match_file(rel + "/"))


def _command_matches(pattern: str, line: str) -> bool:
    if pattern.endswith(":*"):
        prefix = pattern[:-2].strip()
        return line == prefix or line.startswith(prefix + " ")
    return line == pattern.strip()


def _tool_matches(rule_tool: str, names: tuple[str, ...]) -> bool:
    """A tool name, or a whole MCP server (`mcp__docs` and `mcp__docs__*` alike)."""
    server = rule_tool.removesuffix("__*")
    whole_server = rule_tool.startswith("mcp__") and server.count("__") == 1
    return any(
        rule_tool == name or (whole_server and name.startswith(server + "__")) for name in names
    )


def matches(rule: Rule, call: Call) -> bool:
    if not _tool_matches(rule.tool, call.names):
        return False
    if rule.specifier is None or rule.specifier in ("", "*"):
        return True
    if call.path is not None and rule.tool in PATH_TOOLS:
        return _path_matches(rule.specifier, call.path)
    if call.command is not None and rule.tool in ("Bash", "Grep"):
        return _command_matches(rule.specifier, call.command)
    return False


def decide(rules: Iterable[Rule], call: Call) -> Rule | None:
    """The rule that decides the call (deny first, then ask, then allow), or None."""
    found = [rule for rule in rules if matches(rule, call)]
    for effect in EFFECTS:
        for rule in found:
            if rule.effect == effect:
                return rule
    return None


class RuledTool:
    """A tool behind the permission rules: denied and unapproved calls never reach it."""

    def __init__(self, inner: Tool, rules: list[Rule], approver: Approver | None) -> None:
        self.inner = inner
        self.name = inner.name
        self.quick = getattr(inner, "quick", False)
        self.rules = rules
        self.approver = approver

    def definition(self) -> dict[str, Any]:
        return self.inner.definition()

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        call = Call.of(self.name, tool_input, ctx)
        rule = decide(self.rules, call)
        if rule is not None and rule.effect == "deny":
            ctx.extra.setdefault("denied", []).append({"tool": self.name, "rule": str(rule)})
            raise ToolError(
                f"denied by the permission rule {rule} ({rule.origin}); this call was not run. "
                "Work without it, or ask the user to change the project's permissions."
            )
        if rule is not None and rule.effect == "ask":
            what = call.command or call.path or self.name
            proposal = EditProposal(self.name, what, f"{self.name}: {what}", tool_input)
            decision = self.approver(proposal) if self.approver is not None else None
            if decision is None or not decision.approved:
                why = decision.reason if decision is not None else "nobody was there to approve"
                raise ToolError(
                    f"not run: the permission rule {rule} ({rule.origin}) asks for approval, "
                    f"and it was not given ({why})."
                )
        return self.inner(tool_input, ctx)


def apply_rules(tools: list[Tool], rules: list[Rule], approver: Approver | None) -> list[Tool]:
    return [RuledTool(tool, rules, approver) for tool in tools]
