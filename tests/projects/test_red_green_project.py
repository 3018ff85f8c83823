"""Red before green on a user's project: its own layout, absolute imports, conftest and .env."""

from __future__ import annotations

from agent_kernel.project.checkout import open_project
from agent_kernel.specs.memory import load_memory
from agent_kernel.specs.red_green import prove

ROUTE = """

@router.get("/version/")
def version() -> dict[str, str]:
    return {"version": "1"}
"""
TEST = """from app.api.routes.utils import version


def test_version_route(client):
    assert client.get("/api/v1/utils/version/").json() == {"version": "1"}


def test_version_function():
    assert version() == {"version": "1"}
"""


def test_a_projects_new_tests_fail_on_its_old_code_and_pass_on_the_new(notes, tmp_path):
    copy = open_project(notes, tmp_path / "ws")
    utils = copy.root / "app/api/routes/utils.py"
    utils.write_text(utils.read_text() + ROUTE)
    (copy.root / "tests/api/test_version.py").write_text(TEST)
    entries = {e.test: e for e in prove(copy, ["tests/api/test_version.py"], timeout=120)}
    assert set(entries) == {
        "tests/api/test_version.py::test_version_route",
        "tests/api/test_version.py::test_version_function",
    }
    assert all(e.red and e.green for e in entries.values()), entries
    assert copy.changed_files() == ["app/api/routes/utils.py", "tests/api/test_version.py"]


def test_a_project_memory_is_read_from_its_copy(notes, tmp_path):
    (notes / "CLAUDE.md").write_text("Use the app's deps module. @docs/style.md\n")
    (notes / "docs").mkdir()
    (notes / "docs/style.md").write_text("Absolute imports from app.\n")
    copy = open_project(notes, tmp_path / "ws")
    memory = load_memory(copy.root, user=False)
    assert memory.paths == ["CLAUDE.md", "docs/style.md"]
