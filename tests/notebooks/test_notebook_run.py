"""`agent_kernel.notebook.execution`: Unix-socket kernels, and the output written once."""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from agent_kernel.notebook.execution import execute

from .conftest import KERNEL

pytestmark = pytest.mark.notebook

PARAMETERS = 'OUTPUT = ""'
REPORT = """
import json, os
from ipykernel.connect import get_connection_info

info = json.loads(get_connection_info())
print(json.dumps({"transport": info["transport"], "ip": info["ip"],
                  "output_exists": os.path.exists(OUTPUT)}))
"""


def notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(PARAMETERS)
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, *(nbformat.v4.new_code_cell(source) for source in cells)]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    nbformat.write(nb, path)
    return path


def report(executed) -> dict:
    return json.loads(executed.cells[-1].outputs[0]["text"])


def test_the_kernel_talks_over_unix_sockets_in_a_folder_removed_afterwards(tmp_path):
    output = tmp_path / "out.ipynb"
    source = notebook(tmp_path / "in.ipynb", REPORT)
    seen = report(execute(source, output, parameters={"OUTPUT": str(output)}, cwd=tmp_path))
    assert seen["transport"] == "ipc"
    sockets = Path(seen["ip"]).parent
    assert sockets.parent == Path(tempfile.gettempdir()) and sockets.name.startswith("nbk-")
    assert not sockets.exists()
    assert not list(tmp_path.glob("kernel-ipc*")), "socket files left in the notebook's folder"


def test_the_output_is_written_once_at_the_end(tmp_path):
    output = tmp_path / "out.ipynb"
    source = notebook(tmp_path / "in.ipynb", "x = 1", REPORT)
    seen = report(execute(source, output, parameters={"OUTPUT": str(output)}, cwd=tmp_path))
    assert seen["output_exists"] is False  # papermill's default would have saved it by now
    written = nbformat.read(output, as_version=4)
    assert json.loads(written.cells[-1].outputs[0]["text"]) == seen


def test_a_failing_cell_raises_and_its_error_is_in_the_output(tmp_path):
    output = tmp_path / "out.ipynb"
    source = notebook(tmp_path / "in.ipynb", "raise ValueError('broken on purpose')", "x = 2")
    with pytest.raises(PapermillExecutionError, match="broken on purpose"):
        execute(source, output, cwd=tmp_path)
    written = nbformat.read(output, as_version=4)
    errors = [o for c in written.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [error["ename"] for error in errors] == ["ValueError"]


def test_kernels_started_at_once_get_sockets_of_their_own(tmp_path):
    def run(index: int) -> dict:
        folder = tmp_path / str(index)
        folder.mkdir()
        output = folder / "out.ipynb"
        source = notebook(folder / "in.ipynb", REPORT)
        return report(execute(source, output, parameters={"OUTPUT": str(output)}, cwd=folder))

    with ThreadPoolExecutor(3) as pool:
        seen = list(pool.map(run, range(3)))
    assert len({entry["ip"] for entry in seen}) == 3
