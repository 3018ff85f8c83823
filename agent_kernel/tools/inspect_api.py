"""`inspect_api`: the authoritative source for an API, read from the installed code.

The agent must not guess a signature from memory: this tool imports the package that is
actually installed and reports its version, the symbol's kind, signature, docstring and
source file. Attributes are read statically (no property or descriptor runs); the only
code executed is the import of an installed package. The workspace's own `sandbox_app`
is refused: its code is the agent's work in progress and is read with the editor instead.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import os
import re
import site
import sys
import sysconfig
from functools import lru_cache
from pathlib import Path
from typing import Any

from .base import ToolContext, ToolError, cap_output

DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
REFUSED_TOPS = {"sandbox_app": "it is the workspace's own code; read it with the editor's `view`"}
DOC_CAP = 4_000
PARAM_CAP = 600
MEMBERS_CAP = 300
SIMPLE_VALUES = (int, float, complex, str, bytes, bool, type(None))
DIST_SUFFIXES = (".dist-info", ".egg-info")


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    """Import name -> distributions, read by the standard library's own finder only: another
    finder on `sys.meta_path` (the `importlib_metadata` backport that Jupyter's extensions
    load) lists the same distributions with other file lists."""
    found: dict[str, list[str]] = {}
    finder = importlib.metadata.MetadataPathFinder
    for dist in finder.find_distributions(importlib.metadata.DistributionFinder.Context()):
        for top in _top_level_names(dist):
            found.setdefault(top, []).append(dist.metadata["Name"])
    return found


def _squash(name: str) -> str:
    return re.sub(r"[-_.]+", "", name).lower()


def _likely_providers(top: str) -> list[str]:
    """Installed distributions whose name contains the import name (PyJWT for `jwt`).

    Each candidate is confirmed by its own top-level names, so this reads a file or two
    instead of every installed RECORD.
    """
    key, found = _squash(top), []
    for entry in dict.fromkeys(sys.path):
        try:
            names = [e.name for e in os.scandir(entry or ".") if e.name.endswith(DIST_SUFFIXES)]
        except OSError:
            continue
        for folder in names:
            if key in _squash(folder.split("-")[0]):
                dist = importlib.metadata.PathDistribution(Path(entry or ".", folder))
                if top in _top_level_names(dist):
                    found.append(dist.metadata["Name"] or folder.split("-")[0])
    return found


def _top_level_names(dist: importlib.metadata.Distribution) -> set[str]:
    listed = dist.read_text("top_level.txt")
    if listed:
        return set(listed.split())
    return {f.parts[0].removesuffix(".py") for f in dist.files or () if f.parts}


def package_version(top: str) -> str:
    """Where an import name comes from: its distribution and installed version.

    Most distributions share their import name, and asking for one by name is instant; next
    come the distributions named like it; the full import-name map reads every installed
    RECORD, so it is the last resort.
    """
    found = _installed(top)
    if found is None:
        if top in sys.stdlib_module_names:
            return f"{top}, Python standard library (Python {sys.version.split()[0]})"
        names = _likely_providers(top) or _distributions().get(top, [])
        found = next((provider for provider in map(_installed, names) if provider), None)
    if found:
        name, version = found
        return f"{top}, installed version {version} (distribution {name})"
    return f"{top}, version unknown (no installed distribution provides it)"


def _installed(dist: str) -> tuple[str, str] | None:
    """(the distribution's own spelling of its name, its version), if it is installed."""
    try:
        found = importlib.metadata.distribution(dist)
    except importlib.metadata.PackageNotFoundError:
        return None
    return found.metadata["Name"] or dist, found.version


def _source_bases() -> list[Path]:
    bases = {Path(p) for p in site.getsitepackages()}
    bases |= {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib", "stdlib")}
    bases |= {Path(p) for p in sys.path if p}
    return sorted({b.resolve() for b in bases}, key=lambda b: len(b.parts), reverse=True)


def _source_location(obj: Any) -> str | None:
    target = obj.fget if isinstance(obj, property) and obj.fget else obj
    target = inspect.unwrap(target) if callable(target) else target
    try:
        filename = inspect.getsourcefile(target) or inspect.getfile(target)
    except (TypeError, OSError):
        return None
    path = Path(filename).resolve()
    shown = str(path)
    for base in _source_bases():
        if base in path.parents:
            shown = path.relative_to(base).as_posix()
            break
    try:
        _, line = inspect.getsourcelines(target)
    except (TypeError, OSError):
        line = 0
    return f"{shown}:{line}" if line else shown


def _signature(obj: Any) -> str | None:
    target = obj.fget if isinstance(obj, property) and obj.fget else obj
    if not callable(target):
        return None
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    text = str(signature)
    if len(text) <= 160:
        return text
    # Long signatures (FastAPI's Annotated[..., Doc(...)] ones) read better one per line.
    params = []
    for param in signature.parameters.values():
        line = str(param)
        if len(line) > PARAM_CAP:
            line = line[:PARAM_CAP] + " ...[cut]"
        params.append(f"    {line},")
    ret = signature.return_annotation
    tail = "" if ret is inspect.Signature.empty else f" -> {inspect.formatannotation(ret)}"
    return "(\n" + "\n".join(params) + f"\n){tail}"


def _kind(obj: Any, static: Any) -> str:
    if inspect.ismodule(obj):
        return "package" if hasattr(obj, "__path__") else "module"
    if inspect.isclass(obj):
        return "exception class" if issubclass(obj, BaseException) else "class"
    if isinstance(static, staticmethod):
        return "staticmethod"
    if isinstance(static, classmethod):
        return "classmethod"
    if isinstance(obj, property):
        return "property"
    if inspect.iscoroutinefunction(obj):
        return "async function"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj) or inspect.ismethoddescriptor(obj):
        return "function"
    if callable(obj):
        return f"callable {type(obj).__name__} instance"
    return f"{type(obj).__name__} value"


def _members(obj: Any) -> list[str]:
    names = getattr(obj, "__all__", None) if inspect.ismodule(obj) else None
    if not isinstance(names, (list, tuple)):
        names = [n for n in dir(obj) if not n.startswith("_")]
    return sorted({str(n) for n in names}, key=str.lower)


def _import(name: str) -> Any | None:
    """The module `name`, or None when it does not exist (other import errors are reported)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise ToolError(f"importing {name} failed: {exc}") from exc
    except Exception as exc:
        raise ToolError(f"importing {name} failed: {type(exc).__name__}: {exc}") from exc


def lookup(symbol: str) -> tuple[Any, Any]:
    """The object named by a dotted path and its static form (for kind detection)."""
    parts = symbol.split(".")
    obj = _import(parts[0])
    if obj is None:
        raise ToolError(f"no such symbol {symbol!r}: no installed module named {parts[0]!r}")
    static: Any = obj
    for depth, part in enumerate(parts[1:], start=2):
        prefix = ".".join(parts[:depth])
        try:
            static = inspect.getattr_static(obj, part)
        except AttributeError:
            static = _import(prefix) if inspect.ismodule(obj) else None
            if static is None and inspect.ismodule(obj):
                try:  # a module-level __getattr__ (lazy attributes)
                    static = getattr(obj, part)
                except Exception:
                    static = None
            if static is None:
                where = ".".join(parts[: depth - 1])
                raise ToolError(
                    f"no such symbol {symbol!r}: {where} has no attribute {part!r}"
                    + _dynamic_hint(obj)
                ) from None
        obj = static.__func__ if isinstance(static, (staticmethod, classmethod)) else static
    return obj, static


def _dynamic_hint(obj: Any) -> str:
    """Why a name may still work at run time: its class makes attributes in `__getattr__`."""
    if inspect.ismodule(obj):
        return ""
    for klass in inspect.getmro(type(obj)):  # attribute lookup on obj goes to its type
        if "__getattr__" in vars(klass):
            return (
                f" (its attributes are made at run time by {klass.__module__}."
                f"{klass.__qualname__}.__getattr__, which is not run here; inspect the API "
                "they stand for instead)"
            )
    return ""


class InspectApiTool:
    """`inspect_api`: version, signature and docstring of an installed symbol or package."""

    name = "inspect_api"

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": (
                "Look up an API in the code that is actually installed, instead of relying on "
                "memory. Give a package name (e.g. `sqlalchemy`) or a dotted symbol (e.g. "
                "`fastapi.FastAPI.add_middleware`, `sqlalchemy.orm.mapped_column`, "
                "`pydantic.BaseModel.model_validate`). Returns the distribution and its "
                "installed version, the kind of object, its signature, its docstring, its "
                "source file, and for modules and classes their public names. Use it before "
                "writing code against an API whose signature or behaviour you are not sure "
                "of in the installed version. The app being edited (`sandbox_app`) is not "
                "inspected here; read it with the editor."
            ),
            "input_schema": {
                "type": "object",
                "properties": {
                    "symbol": {
                        "type": "string",
                        "description": "A package name or a dotted path to a symbol.",
                    }
                },
                "required": ["symbol"],
                "additionalProperties": False,
            },
        }

    def __call__(self, tool_input: dict[str, Any], ctx: ToolContext) -> str:
        symbol = tool_input.get("symbol")
        if not isinstance(symbol, str) or not DOTTED.match(symbol.strip()):
            raise ToolError(
                "`symbol` must be a package name or dotted path such as "
                "fastapi.FastAPI.add_middleware"
            )
        symbol = symbol.strip()
        top = symbol.split(".")[0]
        if top in REFUSED_TOPS:
            raise ToolError(f"{top} is not inspected: {REFUSED_TOPS[top]}")
        obj, static = lookup(symbol)
        lines = [f"symbol: {symbol}", f"package: {package_version(top)}"]
        lines.append(f"kind: {_kind(obj, static)}")
        if not inspect.ismodule(obj):
            qualname = getattr(obj, "__qualname__", None)
            module = getattr(obj, "__module__", None)
            if isinstance(qualname, str) and isinstance(module, str):
                lines.append(f"defined as: {module}.{qualname}")
                home = module.split(".")[0]
                if home != top and home not in ("builtins", "typing"):
                    lines.append(f"defined in package: {package_version(home)}")
        signature = _signature(obj)
        if signature is not None:
            lines.append(f"signature: {symbol.rsplit('.', 1)[-1]}{signature}")
        location = _source_location(obj)
        if location:
            lines.append(f"source: {location}")
        if isinstance(obj, SIMPLE_VALUES):
            lines.append(f"value: {cap_output(repr(obj), 400)}")
        documented = (
            inspect.ismodule(obj)
            or inspect.isclass(obj)
            or inspect.isroutine(obj)
            or isinstance(obj, property)
        )
        doc = inspect.getdoc(obj) if documented else None
        lines.append("")
        lines.append("docstring:" if doc else "docstring: (none)")
        if doc:
            lines.append(cap_output(doc, DOC_CAP))
        if inspect.ismodule(obj) or inspect.isclass(obj):
            members = _members(obj)
            shown = ", ".join(members[:MEMBERS_CAP])
            extra = len(members) - MEMBERS_CAP
            more = f" ... and {extra} more" if extra > 0 else ""
            lines.append("")
            lines.append(f"public names ({len(members)}): {shown}{more}")
        return cap_output("\n".join(lines))
