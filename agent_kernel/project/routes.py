"""`python -m agent_kernel.project.routes [ROOT]`: the routes of the project's app, one a line.

Introspection for the agent's `run_command`: the routes the app really registers (method,
path, endpoint), read from a fresh import of the workspace app, not from reading the code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .live_check import AppLoadError, import_workspace_package


def route_lines(app: Any, prefix: str = "") -> list[str]:
    """One line a route; routers that FastAPI keeps included by reference are walked into."""
    lines = []
    for route in getattr(app, "routes", []):
        inner = getattr(route, "original_router", None)
        if inner is not None:  # FastAPI 0.16x: include_router keeps the router, not copies
            context = getattr(route, "include_context", None)
            lines += route_lines(inner, prefix + (getattr(context, "prefix", "") or ""))
            continue
        methods = ",".join(sorted(getattr(route, "methods", None) or [])) or "-"
        endpoint = getattr(route, "endpoint", None)
        where = getattr(endpoint, "__name__", type(route).__name__)
        path = prefix + str(getattr(route, "path", "?"))
        lines.append(f"{methods:<12} {path:<40} {where}".rstrip())
    return lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else ".").resolve()
    try:
        _name, app = import_workspace_package(root)
    except AppLoadError as exc:
        print(f"cannot load the app: {exc}", file=sys.stderr)
        return 1
    print("\n".join(route_lines(app)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
