"""Cassettes: one readable YAML file per agent session, replayed offline.

A cassette holds the Messages API exchanges of one session, in order. It is either
*recorded* (real responses captured in record mode) or *scripted* (authored turns, expanded
here into complete Messages API responses). Both are labelled with their `source`, the model
and the date, and never carry a header or a key.

A scripted session is written as turns::

    source: scripted
    model: claude-sonnet-5-5
    prompt: Add GET /items/{item_id} ...
    turns:
      - text: I'll look at the router first.
        tool_calls:
          - name: str_replace_based_edit_tool
            input: {command: view, path: sandbox_app/api/router.py}
      - error: {status: 529, type: overloaded_error}   # an API fault, for tests
      - tool_calls:
          - name: submit_result
            input: {...}

A session of several prompts (a conversation) lists them under `prompts`, each with its own
turns; replay then matches every request of every prompt. The one-prompt form above is the
same as a `prompts` list of one::

    prompts:
      - prompt: Add GET /items/{item_id} ...
        turns: [...]
      - prompt: Now add pagination to that.
        turns: [...]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..documents import DocumentError, key_line, load_yaml, place, unknown_keys
from ..history.redaction import redact_obj

Source = Literal["scripted", "recorded"]
SCRIPTED_NOTICE = "Scripted session: authored turns replayed offline, not a recorded model answer."


class CassetteError(ValueError):
    """A cassette that cannot be read or does not describe a session."""


@dataclass
class Exchange:
    """One request/response pair. `response` is a Message dict, or `error` an API fault."""

    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    expect: dict[str, Any] = field(default_factory=dict)
    stream_cut: bool = False
    timeout: bool = False

    def to_yaml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"expect": self.expect}
        if self.response is not None:
            data["response"] = self.response
        if self.error is not None:
            data["error"] = self.error
        return data


@dataclass
class Cassette:
    source: Source
    model: str
    date: str
    exchanges: list[Exchange]
    prompt: str | None = None
    title: str = ""
    prompts: list[str] = field(default_factory=list)  # every prompt of the session, in order
    answers: dict[str, str] | list[str] | None = None
    path: Path | None = None

    @property
    def scripted(self) -> bool:
        return self.source == "scripted"

    def describe(self) -> str:
        name = self.path.name if self.path else "cassette"
        if self.scripted:
            return f"scripted session {name} (authored, replayed offline; not a model answer)"
        return f"recorded session {name} ({self.model}, recorded {self.date})"

    def save(self, path: Path | None = None) -> Path:
        """Write the cassette as YAML, headers and secrets never included."""
        target = Path(path or self.path or "cassette.yaml")
        data: dict[str, Any] = {
            "source": self.source,
            "model": self.model,
            "date": self.date,
            "title": self.title,
            "prompt": self.prompt,
        }
        if self.scripted:
            data["notice"] = SCRIPTED_NOTICE
        if self.answers:
            data["answers"] = self.answers
        data["exchanges"] = [exchange.to_yaml() for exchange in self.exchanges]
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(dump_yaml(redact_obj(data)), encoding="utf-8")
        tmp.replace(target)
        self.path = target
        return target


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so code in a cassette reads like code in a diff."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not any(ch in value for ch in "\r\t") else None
    if style and any(line != line.rstrip() for line in value.splitlines()):
        style = None  # trailing spaces cannot round-trip in a block scalar
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


# libyaml's safe loader when PyYAML was built with it: the same documents, ten times faster.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)


def load_cassette(path: Path | str) -> Cassette:
    """Read a cassette; a broken one raises CassetteError naming the file and the fault."""
    path = Path(path)
    if not path.is_file():
        raise CassetteError(f"cassette not found: {path}")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), path)
    except DocumentError as exc:
        raise CassetteError(str(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CassetteError(f"{path.name}: cannot be read as UTF-8 text: {exc}") from exc
    check_keys(data, path.name, path.read_text(encoding="utf-8"))
    try:
        cassette = cassette_from_dict(data)
    except CassetteError as exc:
        raise CassetteError(f"{path.name}: {exc}") from exc
    cassette.path = path
    return cassette


def check_keys(data: Any, name: str = "", text: str = "") -> None:
    """A key the cassette format does not have is an error naming the file, line and key."""
    if not isinstance(data, dict):
        return
    from .cassette_schema import CassetteKeys, ExchangeKeys, PromptKeys, ToolCallKeys, TurnKeys

    found = unknown_keys(CassetteKeys, data)
    if not found:
        return
    where, key = found[0]
    known = {
        "": CassetteKeys,
        "turns": TurnKeys,
        "tool_calls": ToolCallKeys,
        "prompts": PromptKeys,
        "exchanges": ExchangeKeys,
    }
    owner = next((str(p) for p in reversed(where) if isinstance(p, str)), "")
    schema = known.get(owner, CassetteKeys)
    line = key_line(text, (*where, key)) if text else None
    at = f"line {line}: " if line else ""
    prefix = f"{name}: " if name else ""
    raise CassetteError(
        f"{prefix}{at}unknown key `{key}` in {place(where)} (a cassette knows "
        f"{', '.join(schema.model_fields)} there); nothing was replayed"
    )


def cassette_from_dict(data: Any) -> Cassette:
    if not isinstance(data, dict):
        raise CassetteError("a cassette is a mapping with source, model and turns or exchanges")
    check_keys(data)
    source = data.get("source")
    if source not in ("scripted", "recorded"):
        raise CassetteError("`source` must be 'scripted' or 'recorded'")
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise CassetteError("`model` is missing")
    date = str(data.get("date") or dt.date.today().isoformat())
    prompt = data.get("prompt")
    prompts: list[str] = [prompt.strip()] if isinstance(prompt, str) else []
    if "prompts" in data:
        if source != "scripted" or "turns" in data:
            raise CassetteError("`prompts` (each with its turns) is for scripted sessions only")
        exchanges, prompts = expand_session(data["prompts"], model)
        prompt = prompts[0] if prompts else None
    elif "turns" in data:
        if source != "scripted":
            raise CassetteError("`turns` are for scripted sessions; recorded ones hold `exchanges`")
        exchanges = expand_turns(data["turns"], model)
        _pin_memory(exchanges, data.get("memory"), "the session")
    elif "exchanges" in data:
        exchanges = [_exchange_from_dict(i, item) for i, item in enumerate(data["exchanges"], 1)]
    else:
        raise CassetteError("no `turns` or `exchanges` (or `prompts`, each with its turns)")
    if not exchanges:
        raise CassetteError("the session has no exchanges")
    answers = data.get("answers")
    if answers is not None and not isinstance(answers, dict | list):
        raise CassetteError("`answers` must be a mapping or a list")
    for exchange in exchanges:  # a recorded session names each later prompt where it starts
        later = exchange.expect.get("prompt")
        if isinstance(later, str) and later not in prompts:
            prompts.append(later)
    return Cassette(
        source=source,
        model=model,
        date=date,
        exchanges=exchanges,
        prompt=prompt.strip() if isinstance(prompt, str) else None,
        title=str(data.get("title") or ""),
        answers=answers,
        prompts=prompts,
    )


def expand_session(items: Any, model: str) -> tuple[list[Exchange], list[str]]:
    """A scripted conversation: each prompt's turns expanded, ids unique across the session.

    The first exchange of every prompt after the first expects that prompt as the newest
    user message, so a run that sends another prompt (or none) is told where it differs.
    """
    if not isinstance(items, list) or not items:
        raise CassetteError("`prompts` must be a non-empty list of {prompt, turns}")
    exchanges: list[Exchange] = []
    prompts: list[str] = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("prompt"), str):
            raise CassetteError(f"prompt {number} needs a `prompt` text and its `turns`")
        try:
            prefix = "" if number == 1 else f"p{number}_"
            expanded = expand_turns(item.get("turns"), model, prefix=prefix)
        except CassetteError as exc:
            raise CassetteError(f"prompt {number}: {exc}") from exc
        if not expanded:
            raise CassetteError(f"prompt {number} has no turns")
        text = item["prompt"].strip()
        if number > 1:
            expanded[0].expect["prompt"] = text
        _pin_memory(expanded, item.get("memory"), f"prompt {number}")
        prompts.append(text)
        exchanges.extend(expanded)
    return exchanges, prompts


def _pin_memory(exchanges: list[Exchange], memory: Any, where: str) -> None:
    """`memory: {path: digest}`: the project memory the session was made with; replay names
    the file when a run's memory differs (a changed CLAUDE.md), instead of failing later."""
    if memory is None or not exchanges:
        return
    if not isinstance(memory, dict):
        raise CassetteError(f"{where}: `memory` must map memory files to their digests")
    exchanges[0].expect["memory"] = {str(k): str(v) for k, v in memory.items()}


def _exchange_from_dict(number: int, item: Any) -> Exchange:
    if not isinstance(item, dict) or not ("response" in item or "error" in item):
        raise CassetteError(f"exchange {number} needs a `response` or an `error`")
    response = item.get("response")
    if response is not None and (not isinstance(response, dict) or "content" not in response):
        raise CassetteError(f"exchange {number}: `response` is not a Messages API message")
    return Exchange(
        response=response,
        error=item.get("error"),
        expect=item.get("expect") or {},
        stream_cut=bool(item.get("stream_cut")),
        timeout=bool(item.get("timeout")),
    )


def expand_turns(turns: Any, model: str, *, prefix: str = "") -> list[Exchange]:
    """Authored turns -> full Messages API responses with deterministic ids.

    `prefix` keeps the ids of a later prompt of the same session apart from the first's.
    """
    if not isinstance(turns, list):
        raise CassetteError("`turns` must be a list")
    exchanges: list[Exchange] = []
    previous_tool_ids: list[str] = []
    for number, turn in enumerate(turns, 1):
        if not isinstance(turn, dict):
            raise CassetteError(f"turn {number} must be a mapping")
        expect: dict[str, Any] = {"tool_results": previous_tool_ids} if previous_tool_ids else {}
        if "error" in turn:
            if not isinstance(turn["error"], dict):
                raise CassetteError(f"turn {number}: `error` must be a mapping (status, type)")
            error = dict(turn["error"])
            error.setdefault("status", 500)
            error.setdefault("type", "api_error")
            error.setdefault("message", "scripted API fault")
            exchanges.append(Exchange(error=error, expect=expect))
            continue
        if turn.get("timeout"):
            exchanges.append(Exchange(timeout=True, expect=expect))
            continue
        content: list[dict[str, Any]] = []
        text = turn.get("text")
        if text:
            content.append({"type": "text", "text": str(text)})
        tool_ids: list[str] = []
        calls = turn.get("tool_calls") or []
        if not isinstance(calls, list):
            raise CassetteError(f"turn {number}: `tool_calls` must be a list")
        for index, call in enumerate(calls, 1):
            if not isinstance(call, dict) or "name" not in call:
                raise CassetteError(f"turn {number}, tool call {index}: needs a `name`")
            tool_id = f"toolu_scripted_{prefix}{number:02d}_{index}"
            tool_ids.append(tool_id)
            content.append(
                {
                    "type": "tool_use",
                    "id": tool_id,
                    "name": call["name"],
                    "input": call.get("input") or {},
                }
            )
        if not content:
            raise CassetteError(f"turn {number} has neither text nor tool calls")
        stop_reason = turn.get("stop_reason") or ("tool_use" if tool_ids else "end_turn")
        usage = {
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        given = turn.get("usage")
        if given is not None and not (
            isinstance(given, dict) and all(isinstance(v, int) for v in given.values())
        ):
            raise CassetteError(f"turn {number}: `usage` must map token kinds to integers")
        usage.update(given or _estimated_usage(content, number))
        message = {
            "id": f"msg_scripted_{prefix}{number:02d}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        exchanges.append(
            Exchange(response=message, expect=expect, stream_cut=bool(turn.get("stream_cut")))
        )
        previous_tool_ids = tool_ids if stop_reason == "tool_use" else []
    return exchanges


def _estimated_usage(content: list[dict[str, Any]], number: int) -> dict[str, int]:
    """Plausible token counts (about 4 characters a token) so budgets and costs move."""
    out_chars = sum(len(str(block.get("text") or block.get("input") or "")) for block in content)
    first = number == 1
    return {
        "input_tokens": 1200 if first else 300,
        "output_tokens": max(1, out_chars // 4),
        "cache_creation_input_tokens": 3000 if first else 600,
        "cache_read_input_tokens": 0 if first else 3000 + 600 * (number - 1),
    }
