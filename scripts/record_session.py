"""Re-record a notebook's session live: `make record NB=01_rest_design` (needs a key).

The notebook's PROMPT is run live with the record transport; the new cassette replaces the
scripted one (kept beside it as `<name>.scripted.yaml`), labelled `source: recorded`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat

from agent_kernel.terminal.cli import main as workbench

REPO = Path(__file__).resolve().parents[1]


def notebook_prompt(notebook: Path) -> str:
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code" and cell.source.lstrip().startswith("PROMPT ="):
            scope: dict[str, object] = {}
            exec(cell.source, scope)  # the cell only assigns a string literal
            return str(scope["PROMPT"])
    raise SystemExit(f"{notebook.name} has no `PROMPT = ...` cell")


def main(name: str) -> int:
    matches = sorted((REPO / "notebooks").glob(f"{name}*.ipynb"))
    if len(matches) != 1:
        raise SystemExit(f"no single notebook matches {name!r}")
    notebook = matches[0]
    cassette = REPO / "notebooks" / "cassettes" / f"{notebook.stem}.yaml"
    if cassette.exists():
        shutil.copy2(cassette, cassette.with_suffix(".scripted.yaml"))
    return workbench(
        ["run", notebook_prompt(notebook), "--mode", "record", "--cassette", str(cassette)]
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
