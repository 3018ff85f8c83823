"""A small MCP docs server: the documentation of the packages installed where it runs.

Versions, summaries, signatures, docstrings and the fields of a class, read from the
installed distributions and modules, so a client (the workbench's agent, Claude Code)
answers a version-specific question from what is there, not from memory. Standalone on
purpose: it needs the `mcp` SDK and the standard library only, and runs with the
interpreter whose packages it should describe:

    python mcp_servers/docs_server.py            # stdio
    python mcp_servers/docs_server.py --http 8765  # streamable HTTP on 127.0.0.1
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata as metadata
import inspect
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

DOC_CAP = 6_000
FIELDS_CAP = 80

server = MCPServer(
    "docs",
    instructions="Documentation of the installed Python packages: versions, signatures, docs.",
)


def _distribution(name: str) -> metadata.Distribution:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        providers = metadata.packages_distributions().get(name.split(".")[0], [])
        for provider in providers:
            return metadata.distribution(provider)
        raise ToolError(f"no installed distribution named {name!r}") from None


@server.tool()
def package_version(package: str) -> str:
    """The installed version of a distribution (or of the one providing an import name),
    with its summary, the Python it requires and what it depends on."""
    dist = _distribution(package)
    meta = dist.metadata
    requires = ", ".join(dist.requires or []) or "nothing"
    return (
        f"{meta['Name']} {dist.version} (installed)\n"
        f"summary: {meta.get('Summary') or '-'}\n"
        f"requires-python: {meta.get('Requires-Python') or '-'}\n"
        f"requires: {requires}"
    )


def _resolve(symbol: str) -> Any:
    parts = symbol.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            try:
                obj = inspect.getattr_static(obj, attr)
            except AttributeError:
                raise ToolError(f"{symbol}: no attribute {attr!r}") from None
        return obj
    raise ToolError(f"{symbol}: no installed module {parts[0]!r}")


@server.tool()
def api_doc(symbol: str) -> str:
    """Signature, docstring and (for a class) its annotated fields, of an installed symbol
    such as `pydantic.ConfigDict` or `fastapi.FastAPI.add_middleware`, with the installed
    version of its package."""
    obj = _resolve(symbol.strip())
    top = symbol.split(".")[0]
    try:
        version = f"{top} {_distribution(top).version}"
    except ToolError:
        version = f"{top} (version unknown)"
    lines = [f"symbol: {symbol}", f"package: {version}"]
    target = obj.__func__ if isinstance(obj, staticmethod | classmethod) else obj
    if callable(target):
        with contextlib.suppress(TypeError, ValueError):  # builtins without a signature
            lines.append(f"signature: {symbol.rsplit('.', 1)[-1]}{inspect.signature(target)}")
    if inspect.isclass(target):
        fields = {}
        for klass in reversed(target.__mro__):
            fields.update(getattr(klass, "__annotations__", {}) or {})
        if fields:
            names = sorted(fields)[:FIELDS_CAP]
            lines.append(f"fields ({len(fields)}): " + ", ".join(names))
    doc = inspect.getdoc(target) or "(no docstring)"
    if len(doc) > DOC_CAP:
        doc = doc[:DOC_CAP] + " ...[cut]"
    lines += ["", doc]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", type=int, metavar="PORT", help="streamable HTTP on loopback")
    args = parser.parse_args()
    if args.http is None:
        server.run()
    else:
        server.run("streamable-http", host="127.0.0.1", port=args.http)


if __name__ == "__main__":
    main()
