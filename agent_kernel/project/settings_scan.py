"""Where a project reads its settings, found in its source without running it.

Three ways cover most FastAPI projects: `os.getenv("NAME")` / `os.environ["NAME"]` (a
`None` or a `KeyError` when unset, with no name in the error the app then raises),
pydantic-settings' `env_file` (a path relative to the working directory), and starlette's
`Config(".env")`. `inspect` lists them, and a failed check uses the first to name the
setting that was missing.

A leaf of the `project` layer: the standard library only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SettingsUse:
    """What the source says about settings: names read from the environment (with where),
    and the env files the settings classes name."""

    getenv: dict[str, list[str]] = field(default_factory=dict)  # NAME -> ["app/db.py:3", ...]
    env_files: list[str] = field(default_factory=list)  # "'.env' (pydantic-settings, x.py:7)"


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _getenv_name(node: ast.AST) -> str | None:
    """NAME for os.getenv("NAME"), getenv("NAME"), os.environ.get("NAME"), os.environ["NAME"]."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "getenv":
            return _string(node.args[0])
        if isinstance(func, ast.Name) and func.id == "getenv":
            return _string(node.args[0])
        if isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value):
            return _string(node.args[0])
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        return _string(node.slice)
    return None


def _env_file_values(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Tuple | ast.List):
        return [v for v in (_string(e) for e in node.elts) if v]
    value = _string(node)
    if value:
        return [value]
    return ["(a path computed in the code)"]


def _settings_files(node: ast.AST, where: str) -> list[str]:
    found: list[str] = []
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        for keyword in node.keywords:
            if keyword.arg == "env_file" and name in ("SettingsConfigDict", "dict", "ConfigDict"):
                found += [
                    f"{v!r} (pydantic-settings, {where})" for v in _env_file_values(keyword.value)
                ]
        if name == "Config" and (node.args or any(k.arg == "env_file" for k in node.keywords)):
            target = (
                node.args[0]
                if node.args
                else next(k.value for k in node.keywords if k.arg == "env_file")
            )
            found += [f"{v!r} (starlette Config, {where})" for v in _env_file_values(target)]
    if isinstance(node, ast.Dict):  # model_config = {"env_file": ".env"}
        for key, value in zip(node.keys, node.values, strict=False):
            if _string(key) == "env_file":
                found += [f"{v!r} (pydantic-settings, {where})" for v in _env_file_values(value)]
    if isinstance(node, ast.Assign):  # class Config: env_file = ".env" (pydantic v1)
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == "env_file":
                found += [
                    f"{v!r} (pydantic settings, {where})" for v in _env_file_values(node.value)
                ]
    return found


def scan_settings(root: Path, files: Iterable[Path]) -> SettingsUse:
    """Every environment read and env file named in `files` (paths shown relative to `root`)."""
    use = SettingsUse()
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(tree):
            line = getattr(node, "lineno", 0)
            name = _getenv_name(node)
            if name:
                use.getenv.setdefault(name, []).append(f"{rel}:{line}")
            for text in _settings_files(node, f"{rel}:{line}"):
                if text not in use.env_files:
                    use.env_files.append(text)
    return use
