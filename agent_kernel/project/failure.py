"""Why an app failed to load, in one message: the root cause, and the setting it lacked.

A failed check reports the exception the app raised, its chain (a lifespan whose Redis is
down raises `AttributeError: 'NoneType' object has no attribute 'aclose'` in its clean-up,
with the `ConnectionError` that started it at the root), and, when a setting was missing,
its name and how to supply it (`env={...}`): pydantic's missing fields, starlette's
`Config 'NAME' is missing`, a `KeyError` on an upper-case name, and an `os.getenv(...)` that
returned `None` (found in the project's source). Works on the plain data that `app_host`
sends (`describe_failure`), so checks in the kernel and in the host explain alike.

Imports this layer's app_host (for `describe_failure`), discovery and settings_scan only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .app_host import describe_failure
from .discovery import DATABASE_KEYS, mask_url, python_files
from .settings_scan import scan_settings

if TYPE_CHECKING:
    from .discovery import ProjectInfo

STARLETTE_MISSING = re.compile(r"Config '([A-Za-z_][A-Za-z0-9_]*)' is missing")
NONE_HINTS = ("None", "NoneType")

__all__ = ["describe_failure", "explain", "missing_settings"]


def _line(entry: dict[str, str]) -> str:
    message = entry["message"].strip().splitlines()[0] if entry["message"].strip() else ""
    where = f" (at {entry['where']})" if entry.get("where") else ""
    return f"{entry['type']}: {message}{where}" if message else f"{entry['type']}{where}"


def missing_settings(
    failure: dict[str, Any], env: Mapping[str, str], info: ProjectInfo | None = None
) -> tuple[list[str], str]:
    """The settings the failure says were missing, and how they were read."""
    chain = failure.get("chain", [])
    names = [n for n in failure.get("missing", []) if n]
    if names:
        return names, "the app's settings class needs"
    for entry in chain:
        found = STARLETTE_MISSING.search(entry["message"])
        if found:
            return [found.group(1)], "starlette's Config needs"
    for entry in chain:
        if entry["type"] == "KeyError":
            name = entry["message"].strip("'\"")
            if name and name.replace("_", "").isupper() and name.isidentifier():
                return [name], "the app reads the environment variable"
    if info is not None and any(h in e["message"] for e in chain for h in NONE_HINTS):
        use = scan_settings(info.root, _app_sources(info))
        unset = [n for n in use.getenv if n not in env and n not in os.environ]
        if unset:
            shown = failure.get("traceback", "")
            first = [n for n in unset if any(w.split(":")[0] in shown for w in use.getenv[n])]
            return (first or unset)[:3], "os.getenv() returns None for"
    return [], ""


def _app_sources(info: ProjectInfo) -> list:
    return [
        p
        for p in python_files(info.root)
        if "tests" not in p.relative_to(info.root).parts and not p.name.startswith("test_")
    ]


def explain(
    failure: dict[str, Any], env: Mapping[str, str], *, info: ProjectInfo | None = None
) -> str:
    """One message for a failed load: what failed, its root cause, the missing setting."""
    chain = failure.get("chain") or [{"type": "Error", "message": "", "where": ""}]
    what = failure.get("what", "loading")
    text = f"the app failed while {what}: {_line(chain[0])}"
    if len(chain) > 1:
        text += f"; at the root of it: {_line(chain[-1])}"
    names, how = missing_settings(failure, env, info)
    if names:
        given = ", ".join(f"{n!r}: ..." for n in names)
        which = "which is not set" if len(names) == 1 else "which are not set"
        return (
            f"{how} {', '.join(names)}, {which}: put it in the project's .env, or "
            f"pass Workbench(project=..., env={{{given}}}) ({text})"
        )
    joined = " ".join(f"{e['type']} {e['message']}" for e in chain)
    if "OperationalError" in joined or "could not connect" in joined.lower():
        url = next((env[k] for k in DATABASE_KEYS if env.get(k)), None)
        where = f" at {mask_url(url)}" if url else ""
        return (
            f"the app could not reach its database{where} ({text}); start it, or point the "
            "app elsewhere with env={'DATABASE_URL': ...}"
        )
    return text


def explain_exception(
    exc: BaseException, what: str, env: Mapping[str, str], info: ProjectInfo | None = None
) -> str:
    """`explain` for an exception raised in this process (an in-kernel check)."""
    roots = [str(info.root)] if info is not None else []
    return explain(describe_failure(exc, what, roots), env, info=info)
