"""How a run shows itself: rich HTML in a notebook, plain text everywhere else.

A `RunView` folds the run's events into what a person reads: the mode line, the streamed
text (with its code references shown as the real workspace lines), each tool call and its
outcome, a progress line, and at the end the contract, the acceptance checks, the diff, the
PHR location and any ADR suggestion. Every rendering is a MIME bundle with both `text/html`
and `text/plain`, so papermill outputs and terminals stay readable.

In a notebook the view is shown with one `IPython.display` handle and updated in place
while the run goes on; anywhere else the `ConsoleObserver` prints the run as it happens and
the closing sections follow as plain text.
"""

from __future__ import annotations

import html
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..agent.events import (
    Event,
    Notice,
    Observer,
    RunFinished,
    RunStarted,
    TextDelta,
    ToolCalled,
    ToolFinished,
    TurnStarted,
    UsageReported,
)
from ..agent.usage import spend_text
from ..history.redaction import redact, redact_obj, secret_values
from ..terminal.console import ConsoleObserver, summarize_input
from ..terminal.sections import (
    checks_text,
    contract_text,
    diff_lines,
    diff_text,
    red_green_text,
    stage_text,
)
from .code_refs import CodeSnippet, snippets

OUTPUT_PREVIEW = 4000
GO_LIVE = (
    "To go live, set ANTHROPIC_API_KEY (in the environment or .env) and run with "
    "mode='auto' or mode='live'."
)


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def _esc(value: Any) -> str:
    return html.escape(str(value))


# -- the mode line --------------------------------------------------------------------------


BADGES: dict[str, tuple[str, str]] = {
    "live": ("● LIVE", "#1a7f37"),
    "record": ("● LIVE · RECORDING", "#cf222e"),
    "scripted": ("▶ REPLAY · SCRIPTED SESSION", "#8250df"),
    "recorded": ("▶ REPLAY · RECORDED SESSION", "#0969da"),
    "unavailable": ("■ NOT READY", "#9a6700"),
}


@dataclass(frozen=True)
class ModeInfo:
    """Where this run's answers come from, said plainly.

    kind: live, record, scripted (an authored replay, not a model answer), recorded (a real
    model answer, replayed offline) or unavailable (the mode cannot run as configured).
    """

    kind: str
    label: str
    notice: str = ""

    @property
    def badge(self) -> str:
        return BADGES.get(self.kind, (self.kind.upper(), "#57606a"))[0]

    def text(self) -> str:
        lines = [f"{self.badge} — {self.label}"]
        if self.notice:
            lines.append(f"  {self.notice}")
        return "\n".join(lines)

    def html(self) -> str:
        badge, colour = BADGES.get(self.kind, (self.kind.upper(), "#57606a"))
        notice = (
            f'<div style="margin-top:2px;font-size:0.9em">{_esc(self.notice)}</div>'
            if self.notice
            else ""
        )
        return (
            f'<div class="wb-mode wb-mode-{_esc(self.kind)}" style="border-left:4px solid '
            f'{colour};padding:2px 8px;margin:2px 0">'
            f'<b style="color:{colour}">{_esc(badge)}</b> — {_esc(self.label)}{notice}</div>'
        )


def _has_key() -> bool:
    from ..settings import get_settings

    return bool(get_settings().api_key)


def mode_info(
    mode: str, source: str, label: str, notice: str = "", *, has_key: bool | None = None
) -> ModeInfo:
    """The mode line for a run; a replay without a key also says how to go live."""
    if mode == "replay":
        kind = "scripted" if source == "scripted" else "recorded"
        if not notice and not (_has_key() if has_key is None else has_key):
            notice = f"Offline replay, no API key needed. {GO_LIVE}"
    elif mode == "record":
        kind = "record"
    else:
        kind = "live"
    return ModeInfo(kind, label, notice)


def describe_mode(workbench: Any) -> ModeInfo:
    """The mode a workbench would run in now, or why it cannot run (never raises)."""
    from ..api.cassette import CassetteError
    from ..api.client import ModeError

    try:
        handle = workbench.connect()
    except (ModeError, CassetteError) as exc:
        return ModeInfo("unavailable", str(exc), GO_LIVE if not _has_key() else "")
    return mode_info(handle.mode, handle.source, handle.label, handle.notice)


# -- the closing sections ---------------------------------------------------------------------


def _items_html(title: str, items: list[str]) -> str:
    if not items:
        return ""
    lis = "".join(f"<li>{_esc(item)}</li>" for item in items)
    return f"<div><b>{_esc(title)}</b><ul style='margin:0'>{lis}</ul></div>"


def contract_html(contract: Any) -> str:
    if contract is None:
        return "<div><i>No Execution Contract: the run ended without a valid one.</i></div>"
    checks = [f"{c.description} ({c.test})" for c in contract.acceptance_checks]
    decisions = [
        f"{d.title}: {d.choice}" + (" — significant" if d.significant else "")
        for d in contract.decisions
    ]
    phr = contract.phr
    return (
        '<div class="wb-contract">'
        f"<div><b>Surface and success:</b> {_esc(contract.surface_and_success)}</div>"
        + _items_html("Constraints", contract.constraints)
        + _items_html("Invariants", contract.invariants)
        + _items_html("Non-goals", contract.non_goals)
        + f"<div><b>Artifact:</b> {_esc(contract.artifact_summary)}</div>"
        + _items_html("Acceptance checks", checks)
        + _items_html("Follow-ups and risks", contract.follow_ups_and_risks)
        + _items_html("Decisions", decisions)
        + f"<div><b>PHR:</b> stage {_esc(phr.stage)}, feature {_esc(phr.feature)}, "
        f"title “{_esc(phr.title)}”</div></div>"
    )


def checks_html(checks: list[Any]) -> str:
    if not checks:
        return "<div><i>No acceptance checks were run.</i></div>"
    passed = sum(check.passed for check in checks)
    rows = []
    for check in checks:
        mark = (
            '<span style="color:#1a7f37;font-weight:bold">PASS</span>'
            if check.passed
            else '<span style="color:#cf222e;font-weight:bold">FAIL</span>'
        )
        detail = ""
        if not check.passed and check.output:
            detail = (
                f"<details><summary>output</summary><pre>{_esc(check.output[-OUTPUT_PREVIEW:])}"
                "</pre></details>"
            )
        rows.append(
            f"<tr><td>{mark}</td><td>{_esc(check.description)}{detail}</td>"
            f"<td><code>{_esc(check.test)}</code></td></tr>"
        )
    return (
        f'<div class="wb-checks"><b>Acceptance checks: {passed}/{len(checks)} passed</b>'
        f"<table>{''.join(rows)}</table></div>"
    )


def red_green_html(entries: list[dict[str, Any]]) -> str:
    """The tests proven red before green: before the run, after it, and the verdict."""
    if not entries:
        return ""
    red = '<span style="color:#cf222e;font-weight:bold">red</span>'
    green = '<span style="color:#1a7f37;font-weight:bold">green</span>'
    rows = []
    for entry in entries:
        verdict = (
            "proven"
            if entry["red"] and entry["green"]
            else ("fails after the run" if not entry["green"] else "passed before: proves nothing")
        )
        rows.append(
            f"<tr><td><code>{_esc(entry['test'])}</code></td>"
            f"<td>{red if entry['red'] else green}</td><td>{green if entry['green'] else red}</td>"
            f"<td>{verdict}</td></tr>"
        )
    return (
        '<div class="wb-red-green"><b>Red before green</b> (each new test against the code '
        "before the run, then after)<table><tr><th>test</th><th>before</th><th>after</th>"
        f"<th></th></tr>{''.join(rows)}</table></div>"
    )


def stage_html(stage: dict[str, Any] | None) -> str:
    """The /sp.* stage of a run, as `stage_text` says it."""
    text = stage_text(stage)
    return f'<div class="wb-stage"><pre>{_esc(text)}</pre></div>' if text else ""


def memory_html(memory: Any) -> str:
    """What `wb.memory` holds: one row a file, and the notes (imports cut, caps)."""
    if not memory:
        return "<div><i>No project memory: no CLAUDE.md, AGENTS.md or constitution.</i></div>"
    rows = "".join(
        f"<tr><td><code>{_esc(item.path)}</code></td><td>{_esc(item.label)}</td>"
        f"<td>{len(item.text)}</td></tr>"
        for item in memory.files
    )
    notes = "".join(f"<li>{_esc(note)}</li>" for note in memory.notes)
    return (
        '<div class="wb-memory"><b>Project memory</b> (read into every run\'s system prompt)'
        f"<table><tr><th>file</th><th>kind</th><th>characters</th></tr>{rows}</table>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "</div>"
    )


def diff_html(diff: str) -> str:
    """A unified diff with additions green, removals red, hunks and files marked."""
    if not diff.strip():
        return "<div><i>No changes in the workspace.</i></div>"
    lines, cut = diff_lines(diff)
    out = []
    for line in lines:
        style = ""
        if line.startswith("diff --git"):
            style = "font-weight:bold;border-top:1px solid #d0d7de"
        elif line.startswith(("+++", "---")):
            style = "color:#57606a"
        elif line.startswith("+"):
            style = "background:#e6ffec;color:#116329"
        elif line.startswith("-"):
            style = "background:#ffebe9;color:#82071e"
        elif line.startswith("@@"):
            style = "color:#8250df"
        cls = "wb-add" if line.startswith("+") and not line.startswith("+++") else ""
        cls = "wb-del" if line.startswith("-") and not line.startswith("---") else cls
        # one block per line, so a colour spans the full width; " " keeps empty lines tall
        out.append(f'<span class="{cls}" style="display:block;{style}">{_esc(line) or " "}</span>')
    more = f"<div><i>… {cut} more lines (wb.diff() has them all)</i></div>" if cut else ""
    return (
        '<pre class="wb-diff" style="margin:0;padding:4px;overflow-x:auto;line-height:1.3">'
        + "".join(out)
        + f"</pre>{more}"
    )


def phr_location(result: Any, history_dir: Path | str | None = None) -> str:
    """The PHR path relative to the history folder's parent (`history/prompts/...`)."""
    path = getattr(result, "phr_path", None)
    if path is None:
        return ""
    path = Path(path)
    if history_dir is not None:
        base = Path(history_dir).resolve().parent
        try:
            return path.resolve().relative_to(base).as_posix()
        except ValueError:
            pass
    return str(path)


def phr_text(result: Any, history_dir: Path | str | None = None) -> str:
    where = phr_location(result, history_dir)
    return f"Prompt History Record: {where}" if where else "No Prompt History Record was written."


def phr_html(result: Any, history_dir: Path | str | None = None) -> str:
    where = phr_location(result, history_dir)
    if not where:
        return "<div><i>No Prompt History Record was written.</i></div>"
    return f"<div><b>Prompt History Record:</b> <code>{_esc(where)}</code></div>"


def adr_text(suggestions: list[str]) -> str:
    return "\n".join(suggestions)


def adr_html(suggestions: list[str]) -> str:
    return "".join(
        f'<div class="wb-adr" style="background:#fff8c5;padding:4px 8px;margin:2px 0">'
        f"{_esc(s)}</div>"
        for s in suggestions
    )


def tokens_in(usage: Any) -> int:
    return usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens


def status_text(result: Any) -> str:
    mark = "✔" if result.status == "ok" else "✘"
    spend = spend_text(
        tokens_in(result.usage),
        result.usage.output_tokens,
        result.cost_usd,
        model=result.model,
        source=result.source,
    )
    return f"{mark} {result.status}: {result.reason} · {result.turns} turns · {spend}"


def result_sections(result: Any, history_dir: Path | str | None = None) -> tuple[str, str]:
    """The closing part of a run as (text, html): status, contract, checks, diff, PHR, ADR."""
    files = ", ".join(result.files_changed) or "none"
    text = [
        status_text(result),
        "",
        "== Execution Contract",
        contract_text(result.contract),
        "",
        "== " + checks_text(result.checks),
        "",
        *[
            line
            for part in (stage_text(result.stage), red_green_text(result.red_green))
            if part
            for line in (part, "")
        ],
        f"== Diff (files changed: {files})",
        diff_text(result.diff),
        "",
        phr_text(result, history_dir),
    ]
    if result.adr_suggestions:
        text += ["", adr_text(result.adr_suggestions)]
    colour = "#1a7f37" if result.status == "ok" else "#cf222e"
    parts = [
        f'<div class="wb-status" style="color:{colour};font-weight:bold;margin:6px 0">'
        f"{_esc(status_text(result))}</div>",
        "<details open><summary><b>Execution Contract</b></summary>"
        f"{contract_html(result.contract)}</details>",
        checks_html(result.checks),
        stage_html(result.stage),
        red_green_html(result.red_green),
        f"<details open><summary><b>Diff</b> (files changed: {_esc(files)})</summary>"
        f"{diff_html(result.diff)}</details>",
        phr_html(result, history_dir),
        adr_html(result.adr_suggestions),
    ]
    return "\n".join(text), "".join(parts)


# -- the run as it happens --------------------------------------------------------------------


@dataclass
class _Text:
    text: str = ""
    closed: bool = False
    refs: list[CodeSnippet] = field(default_factory=list)


@dataclass
class _Tool:
    tool_use_id: str
    name: str
    summary: str
    output: str | None = None
    is_error: bool = False
    duration: float = 0.0


@dataclass
class _Notice:
    message: str
    level: str


@dataclass
class Progress:
    turn: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read: int = 0
    cache_write: int = 0
    cost_usd: float = 0.0
    model: str = ""
    source: str = ""

    def text(self, elapsed: float | None = None) -> str:
        tokens_in = self.input_tokens + self.cache_read + self.cache_write
        spend = spend_text(
            tokens_in,
            self.output_tokens,
            self.cost_usd,
            model=self.model,
            source=self.source,
            detail=f"cache read {self.cache_read:,}, write {self.cache_write:,}",
        )
        line = f"turn {self.turn} · {spend}"
        return line + (f" · {elapsed:.0f} s" if elapsed is not None else "")


class RunView:
    """Everything shown about one run, built from its events; renders as text and HTML."""

    def __init__(self, workspace: Any = None, history_dir: Path | str | None = None) -> None:
        self.workspace = workspace
        self.history_dir = history_dir
        self.mode: ModeInfo | None = None
        self.model = ""
        self.segments: list[_Text | _Tool | _Notice] = []
        self.progress = Progress()
        self.result: Any = None
        self.started = time.monotonic()
        self._clean: dict[str, str] = {}  # HTML piece -> redacted, for _clean_values
        self._clean_values: list[str] | None = None

    # events -> state

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.mode = mode_info(event.mode, event.source, event.label, event.notice)
            self.model = event.model
            self.progress.model, self.progress.source = event.model, event.source
            self.started = time.monotonic()
        elif isinstance(event, TextDelta):
            last = self.segments[-1] if self.segments else None
            if isinstance(last, _Text) and not last.closed:
                last.text += event.text
            else:
                self.segments.append(_Text(event.text))
        elif isinstance(event, TurnStarted):
            self._close_text()
            self.progress.turn = event.turn
        elif isinstance(event, ToolCalled):
            self._close_text()
            summary = summarize_input(event.name, event.input)
            self.segments.append(_Tool(event.tool_use_id, event.name, summary))
        elif isinstance(event, ToolFinished):
            for segment in reversed(self.segments):
                if isinstance(segment, _Tool) and segment.tool_use_id == event.tool_use_id:
                    segment.output, segment.is_error = event.output, event.is_error
                    segment.duration = event.duration
                    break
        elif isinstance(event, UsageReported):
            self._close_text()
            p = self.progress
            p.turn = event.turn
            p.input_tokens += event.input_tokens
            p.output_tokens += event.output_tokens
            p.cache_read += event.cache_read_tokens
            p.cache_write += event.cache_write_tokens
            p.cost_usd = event.total_cost_usd
        elif isinstance(event, Notice):
            self._close_text()
            self.segments.append(_Notice(event.message, event.level))
        elif isinstance(event, RunFinished):
            self.result = event.result
            for segment in self.segments:
                if isinstance(segment, _Text):
                    segment.closed = True
                    segment.refs = snippets(segment.text, self.workspace)

    def _close_text(self) -> None:
        last = self.segments[-1] if self.segments else None
        if isinstance(last, _Text) and not last.closed:
            last.closed = True
            last.refs = snippets(last.text, self.workspace)

    @property
    def finished(self) -> bool:
        return self.result is not None

    # state -> text

    def header_text(self) -> str:
        if self.mode is None:
            return ""
        model = f"  model {self.model}" if self.model else ""
        return self.mode.text() + ("\n" + model if model else "")

    def stream_text(self) -> str:
        out: list[str] = []
        for segment in self.segments:
            if isinstance(segment, _Text):
                out.append(segment.text.rstrip("\n"))
                out += [snippet.text() for snippet in segment.refs]
            elif isinstance(segment, _Tool):
                out.append(f"→ {segment.name}: {segment.summary}")
                if segment.output is not None:
                    first = (segment.output.strip().splitlines() or [""])[0][:100]
                    out.append(f"  {'✗' if segment.is_error else '✓'} {first}")
            else:
                out.append(f"! {segment.message}")
        return "\n".join(out)

    def progress_text(self) -> str:
        if self.finished:
            return ""
        return self.progress.text(time.monotonic() - self.started)

    def text(self) -> str:
        parts = [self.header_text(), self.stream_text()]
        if self.finished:
            parts.append(result_sections(self.result, self.history_dir)[0])
        else:
            parts.append("… " + self.progress_text())
        return "\n".join(part for part in parts if part)

    # state -> HTML

    def header_html(self) -> str:
        if self.mode is None:
            return ""
        model = (
            f'<div style="font-size:0.85em;color:#57606a">model {_esc(self.model)}</div>'
            if self.model
            else ""
        )
        return self.mode.html() + model

    def stream_html(self) -> str:
        return "".join(self.stream_pieces())

    def stream_pieces(self) -> list[str]:
        """The stream as HTML pieces, one or more per segment."""
        out: list[str] = []
        for segment in self.segments:
            if isinstance(segment, _Text):
                out.append(
                    '<div class="wb-text" style="white-space:pre-wrap;margin:4px 0">'
                    f"{_esc(segment.text.strip())}</div>"
                )
                out += [snippet.html() for snippet in segment.refs]
            elif isinstance(segment, _Tool):
                out.append(_tool_html(segment))
            else:
                colour = "#9a6700" if segment.level != "info" else "#57606a"
                out.append(
                    f'<div class="wb-notice" style="color:{colour}">! {_esc(segment.message)}</div>'
                )
        return out

    def progress_html(self) -> str:
        if self.finished:
            return ""
        return (
            '<div class="wb-progress" style="color:#57606a;font-size:0.9em;margin-top:4px">'
            f"⏳ {_esc(self.progress_text())}</div>"
        )

    def html(self) -> str:
        """The run as HTML, secrets redacted piece by piece (the model may repeat one it saw).

        The view is drawn again after every event: each piece is redacted once, not the
        whole growing page every time.
        """
        clean = self._cleaner()
        closing = result_sections(self.result, self.history_dir)[1] if self.finished else ""
        stream = "".join(clean(piece) for piece in self.stream_pieces())
        return (
            '<div class="wb-run">'
            + clean(self.header_html())
            + f'<div class="wb-stream">{stream}</div>'
            + clean(self.progress_html())
            + clean(closing)
            + "</div>"
        )

    def bundle(self) -> dict[str, str]:
        """What the notebook shows, secrets redacted."""
        return {"text/plain": redact(self.text()), "text/html": self.html()}

    def _cleaner(self) -> Callable[[str], str]:
        values = secret_values()
        if values != self._clean_values:
            self._clean_values, self._clean = values, {}
        memo = self._clean
        return lambda piece: redact_obj(piece, values, memo)


def _tool_html(segment: _Tool) -> str:
    head = f"→ <b>{_esc(segment.name)}</b>: <code>{_esc(segment.summary)}</code>"
    if segment.output is None:
        return f'<div class="wb-tool">{head} <i>running…</i></div>'
    mark = (
        '<span style="color:#cf222e">✗</span>'
        if segment.is_error
        else '<span style="color:#1a7f37">✓</span>'
    )
    first = (segment.output.strip().splitlines() or [""])[0][:100]
    body = segment.output[:OUTPUT_PREVIEW]
    more = "\n…" if len(segment.output) > OUTPUT_PREVIEW else ""
    return (
        f'<details class="wb-tool" style="margin:2px 0"><summary>{head} {mark} '
        f'<span style="color:#57606a">{_esc(first)}</span></summary>'
        f'<pre style="margin:0 0 0 1.5em;max-height:20em;overflow:auto">{_esc(body)}{more}'
        "</pre></details>"
    )


# -- observers ---------------------------------------------------------------------------------

DisplayFn = Callable[..., Any]


# Events after which the run may wait (on the model, a tool, the person): shown at once, so
# the view never lags behind what the run is doing while it waits. Every update re-sends the
# whole view, so the others (text, a tool's result, usage, the call of a quick tool such as
# the editor) are shown at most every `min_interval`; the next shown event carries them.
SHOWN_AT_ONCE = (RunStarted, TurnStarted, ToolCalled, Notice, RunFinished)


def shown_at_once(event: Event) -> bool:
    return isinstance(event, SHOWN_AT_ONCE) and not getattr(event, "quick", False)


class NotebookRenderer:
    """Shows a `RunView` with one display handle, updated in place (throttled, see above)."""

    def __init__(
        self, view: RunView, *, min_interval: float = 0.25, display: DisplayFn | None = None
    ) -> None:
        self.view = view
        self.min_interval = min_interval
        self._display = display
        self.handle: Any = None
        self.last_shown = 0.0
        self.updates = 0

    def __call__(self, event: Event) -> None:
        self.view(event)
        now = time.monotonic()
        if shown_at_once(event) or now - self.last_shown >= self.min_interval:
            self.show()
            self.last_shown = now

    def show(self) -> None:
        display = self._display
        if display is None:
            from IPython.display import display
        bundle = self.view.bundle()
        if self.handle is None:
            self.handle = display(bundle, raw=True, display_id=True)
        else:
            self.handle.update(bundle, raw=True)
        self.updates += 1


class TerminalRenderer:
    """The console's running commentary, then the closing sections as plain text."""

    def __init__(
        self, view: RunView, stream: TextIO | None = None, *, verbose: bool = False
    ) -> None:
        self.view = view
        self.stream = stream or sys.stdout
        self.console = ConsoleObserver(self.stream, verbose=verbose)

    def __call__(self, event: Event) -> None:
        self.view(event)
        self.console(event)
        mode = self.view.mode
        if isinstance(event, RunStarted) and not event.notice and mode and mode.notice:
            self.console.line(f"   {mode.notice}")
        if isinstance(event, RunFinished):
            snippets_text = [
                snippet.text()
                for segment in self.view.segments
                if isinstance(segment, _Text)
                for snippet in segment.refs
            ]
            text = result_sections(event.result, self.view.history_dir)[0]
            body = text.split("\n", 1)[1] if "\n" in text else ""
            if snippets_text:
                body = "\n== Code referenced\n" + "\n".join(snippets_text) + "\n" + body
            self.console.write(body.rstrip("\n") + "\n")


def live_renderer(workbench: Any) -> Observer:
    """The observer a run uses by default: in place rich output in a notebook, text elsewhere."""
    view = RunView(
        workspace=getattr(workbench, "workspace", None),
        history_dir=getattr(workbench, "history_dir", None),
    )
    if in_notebook():
        return NotebookRenderer(view)
    return TerminalRenderer(view)


# -- RunResult in a notebook -----------------------------------------------------------------


def result_summary_text(result: Any) -> str:
    where = phr_location(result)
    checks = (
        f"{sum(c.passed for c in result.checks)}/{len(result.checks)} checks passed"
        if result.checks
        else "no checks"
    )
    lines = [
        f"RunResult {status_text(result)}",
        f"  {result.mode} ({result.source}) · model {result.model} · {checks}",
        f"  files changed: {', '.join(result.files_changed) or 'none'}",
    ]
    if where:
        lines.append(f"  PHR: {where}")
    return "\n".join(lines)


def result_summary_html(result: Any) -> str:
    text_lines = result_summary_text(result).splitlines()
    colour = "#1a7f37" if result.status == "ok" else "#cf222e"
    rest = "".join(f"<div>{_esc(line.strip())}</div>" for line in text_lines[1:])
    return (
        f'<div class="wb-result" style="border-left:4px solid {colour};padding:2px 8px">'
        f'<b style="color:{colour}">{_esc(text_lines[0])}</b>{rest}'
        "<div style='color:#57606a;font-size:0.85em'>details: .contract, .checks, .diff, "
        ".phr_path</div></div>"
    )


def install_result_reprs() -> None:
    """Give `RunResult` a short rich display (HTML) and a plain-text pretty form."""
    from ..agent.result import RunResult

    if getattr(RunResult, "_workbench_reprs", False):
        return

    def _repr_html_(self: Any) -> str:
        return result_summary_html(self)

    def _repr_pretty_(self: Any, printer: Any, cycle: bool) -> None:
        printer.text("RunResult(...)" if cycle else result_summary_text(self))

    RunResult._repr_html_ = _repr_html_  # type: ignore[attr-defined]
    RunResult._repr_pretty_ = _repr_pretty_  # type: ignore[attr-defined]
    RunResult._workbench_reprs = True  # type: ignore[attr-defined]
