"""Secret redaction for everything the workbench writes (PHRs, ADRs, trajectories, cassettes).

Patterns are compiled once at import; environment values are read at call time so a key
exported after import is still caught. The key/value rules only fire on values that look
like tokens, so ordinary code in a prompt (`password: str`, `api_key=settings.api_key`)
stays verbatim.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

REDACTED = "[REDACTED]"

SECRET_ENV_MARKERS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
MIN_ENV_SECRET_LENGTH = 8
MIN_REGISTERED_LENGTH = 4

_registered: set[str] = set()
_registered_lock = threading.Lock()

# Names whose value is a secret: x-api-key, ANTHROPIC_API_KEY, access_token, client_secret ...
_SECRET_NAME = (
    r"[A-Za-z0-9_.-]*?(?:api[_-]?key|apikey|secret[_-]?(?:access[_-]?)?key|private[_-]?key"
    r"|token|secret|password|passwd|credentials?)"
)
_SECRET_NAME_RE = re.compile(rf"(?i){_SECRET_NAME}|authorization|cookie")

# Order matters: whole blocks and specific formats before the generic key/value rule.
_PEM = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)",
    re.DOTALL,
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_PEM, REDACTED),
    # Anthropic keys (sk-ant-api03-..., sk-ant-admin01-...).
    (re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{8,}"), REDACTED),
    # Other sk- style keys (sk-proj-..., sk-live-...): long tails only.
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{20,}"), REDACTED),
    # JSON Web Tokens: header.payload.signature, header starts with base64url '{"'.
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"), REDACTED),
    # AWS access key ids.
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"), REDACTED),
    # GitHub, Slack, Google tokens.
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"), REDACTED),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), REDACTED),
    # The password in a URL's user info (postgresql://app:s3cret@db/app): the rest stays, and
    # a template (`{password}`, `${DB_PASSWORD}`, `%(pw)s`, `<password>`) is code, not a secret.
    (
        re.compile(
            r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@'\"]*:)"
            r"(?!\[REDACTED\]@|\{|\$\{|%\(|<)[^\s/?#@'\"]+@"
        ),
        rf"\1{REDACTED}@",
    ),
    # Authorization headers.
    (
        re.compile(
            r"(?i)\b(Bearer|Basic)(\s+)(?!\[REDACTED\])"
            # a digit, or long enough not to be a word ("Bearer authentication")
            r"(?=[A-Za-z._~+/=\-]*[0-9]|[A-Za-z0-9._~+/=\-]{20})[A-Za-z0-9._~+/=\-]{8,}"
        ),
        rf"\1\2{REDACTED}",
    ),
    # name = "quoted value" / "name": "value" / name: 'value' / NAME: str = "value"
    (
        re.compile(
            rf"""(?ix)
            (?P<lead>["']?\b{_SECRET_NAME}["']?(?:[ \t]*:[ \t]*[A-Za-z_][\w\[\].,| ]*?)?
                \s*[:=]\s*)
            (?P<q>["'])(?!\[REDACTED\])(?P<val>[^"'\n]{{4,}})(?P=q)
            """
        ),
        rf"\g<lead>\g<q>{REDACTED}\g<q>",
    ),
    # name=value / name: value (headers, env files, query strings): token-looking values only,
    # so `password: Optional[str]` or `api_key=settings.api_key` are left alone.
    (
        re.compile(
            rf"""(?ix)
            (?P<lead>\b{_SECRET_NAME}\s*[:=][ \t]*)
            (?!\[REDACTED\])(?P<val>[A-Za-z0-9_\-+/=~!@\#$%^*]{{8,}})
            (?=[\s"',;&)}}\]>]|$)
            """
        ),
        rf"\g<lead>{REDACTED}",
    ),
)


# Words without which a rule cannot match, one entry per rule above (lower-case words are
# looked for in the lower-cased text). Most text holds none of them, and a substring search
# is a small fraction of a regex pass, so each rule runs only where it could fire: the same
# output, a fraction of the time on code and tool output. A replacement never adds a word.
_NAMED_WORDS = ("key", "token", "secret", "passw", "credential")
_TRIGGERS: tuple[tuple[tuple[str, ...], bool], ...] = (
    (("-----BEGIN",), False),
    (("sk-ant-",), False),
    (("sk-",), False),
    (("eyJ",), False),
    (("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA"), False),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), False),
    (("xox",), False),
    (("AIza",), False),
    (("://",), False),
    (("bearer", "basic"), True),
    (_NAMED_WORDS, True),
    (_NAMED_WORDS, True),
)
# Every trigger word, lower-cased, in one pattern for the lower-cased text: no match, no rule
# can fire. One regex pass beats the per-rule look-ups on short text (ids, names, one-line
# results, most of a conversation) and loses to them on long text, hence the threshold.
_ANY_WORD = re.compile(
    "|".join(sorted({re.escape(word.lower()) for words, _ in _TRIGGERS for word in words}))
)
_SHORT_TEXT = 512
# The same words plus those of a secret name (_SECRET_NAME_RE), for a whole JSON document.
_ANY_WORD_OR_NAME = re.compile(f"{_ANY_WORD.pattern}|authorization|cookie")


def register_secret(value: str) -> None:
    """Redact this literal value from now on (e.g. a key read from .env, not os.environ)."""
    if value and len(value.strip()) >= MIN_REGISTERED_LENGTH:
        with _registered_lock:
            _registered.add(value)


def unregister_secret(value: str) -> None:
    with _registered_lock:
        _registered.discard(value)


def clear_registered_secrets() -> None:
    with _registered_lock:
        _registered.clear()


@functools.lru_cache(maxsize=4096)  # a conversation repeats a few dozen names endlessly
def is_secret_name(name: str) -> bool:
    """True for names like ANTHROPIC_API_KEY, x-api-key, access_token, Authorization."""
    return _SECRET_NAME_RE.fullmatch(name) is not None


def secret_values(environ: Iterable[tuple[str, str]] | None = None) -> list[str]:
    """Literal secrets to remove: sensitive environment values plus registered ones."""
    values = set(_environment_secrets() if environ is None else _named_secrets(environ))
    with _registered_lock:
        values |= _registered
    # Longest first, so a secret that contains another is removed whole.
    return sorted(values, key=len, reverse=True)


def _named_secrets(items: Iterable[tuple[str, str]]) -> set[str]:
    return {
        value
        for name, value in items
        if len(value) >= MIN_ENV_SECRET_LENGTH
        and any(marker in name.upper() for marker in SECRET_ENV_MARKERS)
    }


# The environment's secrets, with the raw environment they were read from. Decoding every
# variable costs far more than comparing CPython's raw mapping with a copy of it, and a
# trajectory asks after every step; any change to the environment is still seen at once.
_environment_cache: tuple[dict[Any, Any], set[str]] | None = None


def _environment_secrets() -> set[str]:
    global _environment_cache
    raw = getattr(os.environ, "_data", None)
    cached = _environment_cache
    if raw is not None and cached is not None and cached[0] == raw:
        return cached[1]
    snapshot = dict(raw) if raw is not None else None
    values = _named_secrets(os.environ.items())
    if snapshot is not None:
        _environment_cache = (snapshot, values)
    return values


def redact(text: str) -> str:
    """Replace every secret in `text` with [REDACTED]."""
    return _redact(text, secret_values())


def _redact(text: str, values: list[str]) -> str:
    if not text:
        return text
    for value in values:
        if value in text:
            text = text.replace(value, REDACTED)
    folded = text.lower()
    if len(text) < _SHORT_TEXT and _ANY_WORD.search(folded) is None:
        return text
    for (pattern, replacement), (words, fold) in zip(_PATTERNS, _TRIGGERS, strict=True):
        haystack = folded if fold else text
        if any(word in haystack for word in words):
            text = pattern.sub(replacement, text)
    return text


def redact_obj(
    obj: Any, values: list[str] | None = None, memo: dict[str, str] | None = None
) -> Any:
    """Redact strings inside dicts, lists and tuples; values under secret-named keys go whole.

    `values` are the literal secrets (`secret_values()` when not given). `memo` remembers
    each string's redacted form for a caller that meets the same text again (a trajectory
    holds each tool output twice); it is only valid for the same `values`.
    """
    return _redact_obj(obj, secret_values() if values is None else values, memo)


def _redact_obj(obj: Any, values: list[str], memo: dict[str, str] | None) -> Any:
    if isinstance(obj, str):
        if memo is None:
            return _redact(obj, values)
        clean = memo.get(obj)
        if clean is None:
            clean = memo[obj] = _redact(obj, values)
        return clean
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            new_key = _redact_obj(key, values, memo) if isinstance(key, str) else key
            if isinstance(key, str) and isinstance(value, str) and value and is_secret_name(key):
                out[new_key] = REDACTED
            else:
                out[new_key] = _redact_obj(value, values, memo)
        return out
    if isinstance(obj, list):
        return [_redact_obj(item, values, memo) for item in obj]
    if isinstance(obj, tuple):
        return tuple(_redact_obj(item, values, memo) for item in obj)
    return obj


def json_may_hold_secrets(json_text: str, values: Sequence[str]) -> bool:
    """Whether redacting the document behind `json_text` could change it; False is a proof.

    `json_text` is a `json.dumps(..., ensure_ascii=False)` dump. JSON escapes only quotes,
    backslashes and control characters, and no trigger word or secret name holds one, so a
    word in any string or key is in the dump as it is; a literal secret is looked for in its
    escaped form. One pass over the dump costs a fraction of `redact_obj`'s walk of every
    node, and most of what a trajectory records (tool calls, their output) holds no such word.
    """
    for value in values:
        if _json_escaped(value) in json_text:
            return True
    return _ANY_WORD_OR_NAME.search(json_text.lower()) is not None


@functools.lru_cache(maxsize=256)
def _json_escaped(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]
