"""A run in chat form: Markdown the chat renders (with `<details>` for what folds away).

The chat shows Markdown with a little sanitised HTML, so a tool call is a `<details>` line
whose summary names the call and whose body holds its result; the diff is one fenced `diff`
block per file. Everything here is redacted before the persona posts it (`redact` is
applied by the caller on the whole message body, so a secret split across deltas is caught).
"""

from __future__ import annotations

import contextlib
import html
import json
from pathlib import Path
from typing import Any

from ..agent.usage import spend_text

RESULT_CAP = 4000  # characters of a tool's result shown in its fold
DIFF_CAP = 400  # lines of one file's diff shown in the chat


def fence(text: str, lang: str = "") -> str:
    """A fenced block that no backtick run inside `text` can close early."""
    longest = max((len(run) for run in _backtick_runs(text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def _backtick_runs(text: str) -> list[str]:
    runs, current = [], ""
    for char in text:
        if char == "`":
            current += char
        elif current:
            runs.append(current)
            current = ""
    return [*runs, current] if current else runs


def tool_summary(name: str, tool_input: dict[str, Any]) -> str:
    """The one line a tool call is known by."""
    if name == "str_replace_based_edit_tool":
        return f"{tool_input.get('command', '?')} {tool_input.get('path', '')}".strip()
    if name == "run_tests":
        return str(tool_input.get("target") or "all tests")
    if name == "inspect_api":
        return str(tool_input.get("symbol", ""))
    if name == "ask_user":
        return str(tool_input.get("question", ""))[:80]
    if name == "submit_result":
        return "Execution Contract"
    if name == "run_command":
        return str(tool_input.get("command", ""))[:80]
    return json.dumps(tool_input)[:80]


def tool_line(name: str, tool_input: dict[str, Any], output: str | None, is_error: bool) -> str:
    """A tool call as a collapsible line: running (no output yet), done or failed."""
    summary = html.escape(f"{name}: {tool_summary(name, tool_input)}")
    if output is None:
        return f"<details><summary>⏳ {summary}</summary>\n\nrunning…\n</details>"
    mark = "✗" if is_error else "✓"
    shown = output if len(output) <= RESULT_CAP else output[:RESULT_CAP] + "\n… (cut)"
    return f"<details><summary>{mark} {summary}</summary>\n\n{fence(shown)}\n\n</details>"


def _items(title: str, items: list[str]) -> list[str]:
    return [f"**{title}**", *(f"- {item}" for item in items), ""] if items else []


def contract_md(contract: Any) -> str:
    if contract is None:
        return "**Execution Contract:** none; the run ended without a valid one."
    lines = [
        "### Execution Contract",
        "",
        f"**Surface and success:** {contract.surface_and_success}",
    ]
    lines.append("")
    lines += _items("Constraints", contract.constraints)
    lines += _items("Invariants", contract.invariants)
    lines += _items("Non-goals", contract.non_goals)
    lines += [f"**Artifact:** {contract.artifact_summary}", ""]
    lines += _items("Follow-ups and risks", contract.follow_ups_and_risks)
    lines += _items(
        "Decisions",
        [
            f"{d.title}: {d.choice}" + (" *(significant)*" if d.significant else "")
            for d in contract.decisions
        ],
    )
    return "\n".join(lines).rstrip()


def checks_md(checks: list[Any]) -> str:
    if not checks:
        return "**Acceptance checks:** none were run."
    passed = sum(check.passed for check in checks)
    lines = [f"**Acceptance checks: {passed}/{len(checks)} passed**", ""]
    for check in checks:
        mark = "✔" if check.passed else "✘"
        lines.append(f"- {mark} {check.description} (`{check.test}`)")
    return "\n".join(lines)


def split_diff(diff: str) -> list[tuple[str, str]]:
    """(path, that file's part of a unified diff), in order."""
    files: list[tuple[str, list[str]]] = []
    for line in diff.splitlines():
        if line.startswith("diff --git ") or (line.startswith("--- ") and not _in_header(files)):
            files.append(("", [line]))
            continue
        if not files:
            files.append(("", []))
        path, lines = files[-1]
        if line.startswith("+++ ") and not path:
            target = line[4:].strip()
            path = target[2:] if target.startswith(("b/", "a/")) else target
            files[-1] = (path, lines)
        lines.append(line)
    return [(path or "(unnamed)", "\n".join(lines)) for path, lines in files if lines]


def _in_header(files: list[tuple[str, list[str]]]) -> bool:
    """A `---` line right after a `diff --git` header belongs to that file."""
    return bool(files) and not files[-1][0] and files[-1][1][0].startswith("diff --git ")


def diff_md(diff: str, files_changed: list[str] | None = None) -> str:
    if not diff.strip():
        return "**Diff:** no changes in the workspace."
    parts = split_diff(diff)
    names = ", ".join(f"`{f}`" for f in (files_changed or [p for p, _ in parts]))
    out = [f"**Diff** ({names})", ""]
    for path, text in parts:
        lines = text.splitlines()
        cut = max(0, len(lines) - DIFF_CAP)
        shown = "\n".join(lines[:DIFF_CAP]) + (f"\n… {cut} more lines (/diff)" if cut else "")
        out += [f"`{path}`", "", fence(shown, "diff"), ""]
    return "\n".join(out).rstrip()


def spend_md(result: Any) -> str:
    usage = result.usage
    tokens_in = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    detail = f"cache read {usage.cache_read_tokens:,} / write {usage.cache_write_tokens:,}"
    spend = spend_text(
        tokens_in,
        usage.output_tokens,
        result.cost_usd,
        model=result.model,
        source=result.source,
        detail=detail,
    )
    return f"**Usage:** {spend} · {result.turns} turns · model `{result.model}`"


def phr_md(result: Any, history_dir: Path | None) -> str:
    path = result.phr_path
    if path is None:
        return "**Prompt History Record:** none was written."
    shown = str(path)
    if history_dir is not None:
        base = Path(history_dir).resolve().parent
        with contextlib.suppress(ValueError):  # a history elsewhere keeps its full path
            shown = Path(path).resolve().relative_to(base).as_posix()
    return f"**Prompt History Record:** `{shown}`"


def adr_md(suggestions: list[str]) -> str:
    if not suggestions:
        return ""
    lines = ["**ADR suggested** (nothing is written until you ask):", ""]
    lines += [f"- {s}" for s in suggestions]
    lines += ["", "Reply `/adr` to write it (or `/adr TITLE` for one of several)."]
    return "\n".join(lines)


def status_md(result: Any) -> str:
    mark = "✔" if result.status == "ok" else "✘"
    return f"{mark} **{result.status}**: {result.reason}"


def result_md(result: Any, history_dir: Path | None) -> str:
    """The closing message of a run: status, contract, checks, diff, usage, PHR, ADR."""
    parts = [
        status_md(result),
        contract_md(result.contract),
        checks_md(result.checks),
        diff_md(result.diff, result.files_changed),
        spend_md(result),
        phr_md(result, history_dir),
        adr_md(result.adr_suggestions),
    ]
    if result.permission_mode == "plan" and result.contract is not None:
        parts.append("This is a plan: nothing was written. `/accept-plan` carries it out.")
    return "\n\n".join(part for part in parts if part)


def proposal_md(command: str, path: str, diff: str) -> str:
    """An edit waiting for approval in ask mode."""
    shown = fence(diff or "(no textual change)", "diff")
    return (
        f"**Review this edit:** {command} `{path}`\n\n{shown}\n\n"
        "Reply `approve`, or `reject: your reason`."
    )


def question_md(question: str, choices: list[str] | None) -> str:
    lines = [f"**The agent asks:** {question}"]
    if choices:
        lines += ["", *(f"- {choice}" for choice in choices)]
    lines += ["", "Your next message is the answer (`/skip` lets the agent assume)."]
    return "\n".join(lines)
