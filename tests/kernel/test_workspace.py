"""The workspace: a copy of the baseline app, reused as is, diffed against its snapshot."""

import shutil
import subprocess
from pathlib import Path

import pytest

from agent_kernel.project.workspace import (
    PYTEST_INI,
    PathRefused,
    Workspace,
    WorkspaceError,
    default_baseline,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws")


def test_default_baseline_is_the_repository_package(monkeypatch):
    monkeypatch.delenv("WORKBENCH_BASELINE", raising=False)
    assert default_baseline() == REPO / "sandbox_app"
    monkeypatch.setenv("WORKBENCH_BASELINE", "/somewhere/else/sandbox_app")
    assert default_baseline() == Path("/somewhere/else/sandbox_app")


def test_create_copies_package_tests_and_pytest_ini(workspace: Workspace):
    root = workspace.root
    assert root.is_absolute() and root == root.resolve()
    copied = ("sandbox_app/main.py", "sandbox_app/api/routes/health.py", "sandbox_app/core/db.py")
    for rel in copied:
        assert (root / rel).read_bytes() == (REPO / rel).read_bytes()
    assert (root / "tests/test_health.py").read_bytes() == (
        REPO / "tests/sandbox_app/test_health.py"
    ).read_bytes()
    assert (root / "tests/conftest.py").is_file()
    assert (root / "pytest.ini").read_text() == PYTEST_INI
    assert "testpaths = tests" in PYTEST_INI and "pythonpath = ." in PYTEST_INI
    # The snapshot holds exactly the same files.
    assert workspace.baseline_files() == workspace.files()
    assert workspace.changed_files() == []
    assert workspace.diff() == ""


def test_create_ignores_caches_and_databases(tmp_path: Path):
    baseline = tmp_path / "base" / "sandbox_app"
    shutil.copytree(REPO / "sandbox_app", baseline)
    (baseline / "__pycache__").mkdir(exist_ok=True)
    (baseline / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    (baseline / "stale.pyc").write_bytes(b"\0")
    (baseline / "local.db").write_bytes(b"SQLite")
    (baseline / ".pytest_cache").mkdir()
    tests = tmp_path / "base" / "tests" / "sandbox_app"
    tests.mkdir(parents=True)
    (tests / "test_x.py").write_text("def test_x():\n    pass\n")
    workspace = Workspace.create(tmp_path / "ws", baseline=baseline)
    files = workspace.files()
    assert "tests/test_x.py" in files
    assert not any("__pycache__" in f or f.endswith((".pyc", ".db")) for f in files)
    assert not (workspace.root / "sandbox_app" / "local.db").exists()
    assert not (workspace.root / "sandbox_app" / ".pytest_cache").exists()
    assert not (workspace.baseline_dir / "sandbox_app" / "stale.pyc").exists()
    # A database or cache appearing at run time is not a change.
    (workspace.root / "sandbox.db").write_bytes(b"SQLite")
    (workspace.root / "sandbox_app" / "__pycache__").mkdir()
    (workspace.root / "sandbox_app" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert workspace.changed_files() == []


def test_temp_workspace_when_no_path_given():
    workspace = Workspace.create()
    try:
        assert workspace.root.name.startswith("workbench-")
        assert (workspace.root / "sandbox_app" / "main.py").is_file()
    finally:
        shutil.rmtree(workspace.root)


def test_existing_workspace_is_reused_as_is(tmp_path: Path):
    first = Workspace.create(tmp_path / "ws")
    health = first.root / "sandbox_app/api/routes/health.py"
    health.write_text(health.read_text() + "\n# edited\n")
    (first.root / "sandbox_app/api/routes/items.py").write_text("ITEMS = []\n")
    again = Workspace.create(tmp_path / "ws")
    assert again.root == first.root
    assert health.read_text().endswith("# edited\n")
    assert again.changed_files() == [
        "sandbox_app/api/routes/health.py",
        "sandbox_app/api/routes/items.py",
    ]


def test_hand_made_workspace_gets_a_snapshot_from_the_baseline(tmp_path: Path):
    root = tmp_path / "ws"
    shutil.copytree(REPO / "sandbox_app", root / "sandbox_app")
    (root / "sandbox_app" / "extra.py").write_text("X = 1\n")
    workspace = Workspace.create(root)
    assert not (root / "tests").exists()  # reused as is: nothing added beside the app
    assert "sandbox_app/extra.py" in workspace.changed_files()


def test_changed_files_and_diff_cover_add_modify_delete(workspace: Workspace):
    root = workspace.root
    main = root / "sandbox_app/main.py"
    main.write_text(main.read_text().replace("Sandbox", "Sandbox"))  # unchanged content
    router = root / "sandbox_app/api/router.py"
    router.write_text(router.read_text().replace("api_router = APIRouter()", "api_router = X()"))
    (root / "sandbox_app/api/routes/items.py").write_text("ITEMS: list[str] = []")  # no EOL
    (root / "tests/test_health.py").unlink()
    assert workspace.changed_files() == [
        "sandbox_app/api/router.py",
        "sandbox_app/api/routes/items.py",
        "tests/test_health.py",
    ]
    diff = workspace.diff()
    assert "diff --git a/sandbox_app/api/router.py b/sandbox_app/api/router.py" in diff
    assert "--- a/sandbox_app/api/router.py\n+++ b/sandbox_app/api/router.py\n" in diff
    assert "-api_router = APIRouter()\n+api_router = X()\n" in diff
    assert "--- /dev/null\n+++ b/sandbox_app/api/routes/items.py\n" in diff
    assert "+ITEMS: list[str] = []\n\\ No newline at end of file\n" in diff
    assert "deleted file mode" in diff
    assert "--- a/tests/test_health.py\n+++ /dev/null\n" in diff
    assert "-def test_health_reports_database_reachable(client):" in diff
    assert "main.py" not in diff


def test_diff_applies_with_git_to_a_fresh_copy(workspace: Workspace, tmp_path: Path):
    root = workspace.root
    router = root / "sandbox_app/api/router.py"
    router.write_text(router.read_text() + "# tail without newline")
    (root / "sandbox_app/api/routes/items.py").write_text("ITEMS = []\n")
    (root / "sandbox_app/core/config.py").unlink()
    patch = tmp_path / "change.patch"
    patch.write_text(workspace.diff())
    fresh = shutil.copytree(workspace.baseline_dir, tmp_path / "fresh")
    subprocess.run(["git", "apply", str(patch)], cwd=fresh, check=True)
    assert (fresh / "sandbox_app/api/router.py").read_bytes() == router.read_bytes()
    assert (fresh / "sandbox_app/api/routes/items.py").read_text() == "ITEMS = []\n"
    assert not (fresh / "sandbox_app/core/config.py").exists()


def test_binary_file_and_symlink_in_diff(workspace: Workspace, tmp_path: Path):
    secret = tmp_path / "outside.txt"
    secret.write_text("outside content\n")
    (workspace.root / "blob.bin").write_bytes(b"\0\1\2")
    (workspace.root / "link").symlink_to(secret)
    diff = workspace.diff()
    assert "Binary files a/blob.bin and b/blob.bin differ" in diff
    assert f"+symlink -> {secret}" in diff
    assert "outside content" not in diff  # a link is never followed


def test_resolve_confines_paths(workspace: Workspace, tmp_path: Path):
    root = workspace.root
    assert workspace.resolve("sandbox_app/main.py") == root / "sandbox_app/main.py"
    assert workspace.resolve(str(root / "sandbox_app/main.py")) == root / "sandbox_app/main.py"
    assert workspace.resolve("") == root and workspace.resolve(".") == root
    assert workspace.resolve("sandbox_app/../pytest.ini") == root / "pytest.ini"
    assert workspace.resolve("new/dir/file.py") == root / "new/dir/file.py"
    for bad in ("../x", "/etc/passwd", "sandbox_app/../../x", str(tmp_path)):
        with pytest.raises(PathRefused, match="outside the workspace"):
            workspace.resolve(bad)
    (root / "escape").symlink_to(tmp_path)
    with pytest.raises(PathRefused, match="outside the workspace"):
        workspace.resolve("escape/anything.txt")
    with pytest.raises(PathRefused, match=r"\.workbench/"):
        workspace.resolve(".workbench/baseline/sandbox_app/main.py")
    with pytest.raises(PathRefused, match=r"\.workbench/"):
        workspace.resolve(".workbench")


def test_relative_read_text_and_file_tree(workspace: Workspace):
    assert workspace.relative(workspace.root / "sandbox_app" / "main.py") == "sandbox_app/main.py"
    assert workspace.relative(workspace.root) == "."
    assert "def create_app" in workspace.read_text("sandbox_app/main.py")
    with pytest.raises(PathRefused):
        workspace.read_text("../etc/passwd")
    tree = workspace.file_tree()
    lines = tree.splitlines()
    assert "sandbox_app/" in lines and "tests/" in lines and "pytest.ini" in lines
    assert "  api/" in lines and "    router.py" in lines and "      health.py" in lines
    assert ".workbench" not in tree
    cut = workspace.file_tree(max_entries=3).splitlines()
    assert len(cut) == 4 and cut[-1].startswith("... (") and cut[-1].endswith("more entries)")


def test_a_new_workspace_needs_an_existing_parent(tmp_path: Path):
    with pytest.raises(WorkspaceError, match=r"its parent .* does not exist"):
        Workspace.create(tmp_path / "no" / "such" / "ws")
    assert not (tmp_path / "no").exists()
    made = Workspace.create(tmp_path / "ws")
    assert made.created and (made.root / "sandbox_app").is_dir()
    assert not Workspace.create(tmp_path / "ws").created  # reused as is


def test_a_directory_with_other_files_is_refused_and_left_alone(tmp_path: Path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("mine\n")
    with pytest.raises(WorkspaceError, match="is not empty and is not a workspace"):
        Workspace.create(other)
    assert sorted(p.name for p in other.iterdir()) == ["todo.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="it is a file"):
        Workspace.create(tmp_path / "file")
