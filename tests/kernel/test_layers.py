"""The tree tells the architecture: packages by layer, imports only downward, no circles.

Every import in `agent_kernel` is read from the source (ast), lazy imports inside functions
included, so a shortcut taken in a function body shows here too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import agent_kernel

PACKAGE_DIR = Path(agent_kernel.__file__).resolve().parent

# Lower number = higher layer. A package may import its own modules and any package with a
# larger number; packages of the same number may import each other as long as no circle forms.
LAYERS: dict[str, int] = {
    "notebook": 1,
    "terminal": 1,
    "evals": 1,
    "chat": 1,
    "workbench": 2,
    "agent": 3,
    "tools": 4,
    "api": 4,
    "project": 5,
    "mcp": 5,
    "specs": 5,
    "history": 6,
    "sandbox": 6,
    "contract": 7,
    "documents": 7,
    "settings": 7,
}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(root: Path) -> Iterator[tuple[str, str, int]]:
    """(importing module, imported module, line) for every import inside the package."""
    top = root.name
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                if node.module is None:  # `from . import x`: x is a module
                    targets = [f"{target}.{alias.name}" for alias in node.names]
                else:
                    targets = [target]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                if target == top or target.startswith(top + "."):
                    yield module, target, node.lineno


def room(module: str) -> str | None:
    """The package (or top-level module) a module belongs to; None for the root itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def check(root: Path, layers: dict[str, int]) -> list[str]:
    """Every upward import, every module not placed in a layer, and every circle."""
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    rooms: dict[str, set[str]] = {}
    for module, target, line in imports(root):
        source, dest = room(module), room(target)
        if source is None or dest is None:
            continue  # the root's lazy re-exports stand above every layer
        for name in (source, dest):
            if name not in layers:
                problems.append(f"{name} has no layer: add it to LAYERS (a room of its own?)")
        if source in layers and dest in layers and layers[dest] < layers[source]:
            problems.append(f"{module}:{line} imports {target}, a layer above it")
        graph.setdefault(module, set()).add(target)
        if source != dest:
            rooms.setdefault(source, set()).add(dest)
    problems += [f"import circle: {' -> '.join(c)}" for c in circles(graph)]
    problems += [f"package circle: {' -> '.join(c)}" for c in circles(rooms)]
    return sorted(set(problems))


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one node (or a self-loop)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_agent_kernel_imports_only_downward_and_has_no_circle():
    assert check(PACKAGE_DIR, LAYERS) == []


def test_every_room_says_what_lives_there_and_what_it_may_import():
    for init in sorted(PACKAGE_DIR.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "May import" in doc, f"{init.parent.name}/__init__.py does not say what it imports"
        assert init.parent.name in LAYERS


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_the_check_catches_an_upward_import_even_inside_a_function(tmp_path):
    root = write(
        tmp_path,
        {
            "__init__.py": "",
            "low/__init__.py": "",
            "low/leaf.py": "def f():\n    from ..high.view import show\n",
            "high/__init__.py": "",
            "high/view.py": "from ..low.leaf import f\nshow = f\n",
        },
    )
    problems = check(root, {"high": 1, "low": 2})
    assert any("pkg.low.leaf:2 imports pkg.high.view, a layer above" in p for p in problems)
    assert any(p.startswith("import circle:") for p in problems)
    assert any(p.startswith("package circle:") for p in problems)


def test_the_check_catches_a_sideways_circle_and_an_unplaced_room(tmp_path):
    root = write(
        tmp_path,
        {
            "__init__.py": "",
            "a/__init__.py": "from ..b import x\n",
            "b/__init__.py": "x = 1\n",
            "b/more.py": "from ..a import y\n",
            "c.py": "from . import a\n",
        },
    )
    problems = check(root, {"a": 1, "b": 1})
    assert "package circle: a -> b -> a" in problems
    assert any("c has no layer" in p for p in problems)
    assert (
        check(
            write(tmp_path / "ok", {"__init__.py": "", "a.py": "from . import b\n", "b.py": ""}),
            {"a": 1, "b": 2},
        )
        == []
    )
