"""Re-execute every notebook in place, offline, so its committed outputs are current.

Run with `make notebooks` after a change to a notebook, its cassette or the display code.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

from agent_kernel.notebook.execution import execute

REPO = Path(__file__).resolve().parents[1]


def without_machine_paths(notebook: Path) -> None:
    """papermill records where it read and wrote the notebook; the committed copy names itself."""
    nb = nbformat.read(notebook, as_version=4)
    record = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if key in record:
            record[key] = notebook.name
    nbformat.write(nb, notebook)


def main(names: list[str]) -> int:
    notebooks = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if names:
        notebooks = [nb for nb in notebooks if any(nb.stem.startswith(n) for n in names)]
    for key in [k for k in os.environ if k.startswith("ANTHROPIC_")]:
        del os.environ[key]
    os.environ.pop("WORKBENCH_SUPPRESS_EDITS", None)
    # What a newcomer sees: auto mode with no key, so the notebooks say they replay offline.
    for key in ("CI", "WORKBENCH_MODE"):
        os.environ.pop(key, None)
    os.environ["WORKBENCH_REPO_DOTENV"] = "0"
    # The user's own ~/.claude/CLAUDE.md stays out of committed outputs: an empty config folder.
    os.environ["CLAUDE_CONFIG_DIR"] = tempfile.mkdtemp(prefix="workbench-claude-config-")
    failed = []
    for notebook in notebooks:
        with tempfile.TemporaryDirectory() as history:
            os.environ["WORKBENCH_HISTORY"] = history
            print(f"executing {notebook.name}", flush=True)
            try:
                execute(notebook, notebook, cwd=notebook.parent)
            except papermill.PapermillExecutionError as exc:
                print(f"  FAILED: {exc.ename}: {exc.evalue}", flush=True)
                failed.append(notebook.name)
            without_machine_paths(notebook)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
