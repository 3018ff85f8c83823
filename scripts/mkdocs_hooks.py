"""MkDocs hook: the lessons in `notebooks/` become pages of the site, as committed.

The notebooks stay where JupyterLab, papermill and nbval find them. At build time each one is
copied into a private staging folder as `lessons/<name>.ipynb` and added to the site's files,
before mkdocs-jupyter turns notebooks into pages (from their committed outputs: nothing is
executed). The staging folder is removed when the build ends.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
_staging: tempfile.TemporaryDirectory | None = None


@event_priority(100)  # before mkdocs-jupyter's own on_files
def on_files(files, config):
    global _staging
    _staging = tempfile.TemporaryDirectory(prefix="mkdocs-lessons-")
    lessons = Path(_staging.name) / "lessons"
    lessons.mkdir()
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(notebook, lessons / notebook.name)
        files.append(
            File(
                f"lessons/{notebook.name}",
                src_dir=_staging.name,
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    return files


def on_shutdown():
    if _staging is not None:
        _staging.cleanup()
