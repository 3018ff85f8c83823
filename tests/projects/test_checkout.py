"""The private copy: a git worktree with the uncommitted work, or a .gitignore-honouring copy;
the diff against the project as it was; apply only on request and never over a changed tree;
a branch instead."""

from __future__ import annotations

import pytest

from agent_kernel.project.checkout import ProjectError, ProjectWorkspace, open_workspace

from .conftest import SINGLE_MAIN, git


def test_git_project_is_a_worktree_of_head_plus_uncommitted_work(notes, tmp_path):
    (notes / "app/models.py").write_text("# edited, not committed\n", encoding="utf-8")
    (notes / "app/wip.py").write_text("WIP = True\n", encoding="utf-8")
    (notes / "tests/api/test_utils.py").unlink()
    ws = ProjectWorkspace.create_for(notes, tmp_path / "ws")

    assert (ws.root / ".git").is_file()  # a worktree: its objects stay in the user's repo
    assert "worktree" in git(notes, "worktree", "list")
    assert (ws.root / "app/models.py").read_text() == "# edited, not committed\n"
    assert (ws.root / "app/wip.py").is_file()
    assert not (ws.root / "tests/api/test_utils.py").exists()
    assert ws.diff() == "" and ws.changed_files() == []
    # The user's repository is as it was: same branch, same HEAD, same status.
    assert git(notes, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(notes, "status", "--porcelain").count("\n") == 3
    ws.remove()
    assert "ws" not in git(notes, "worktree", "list")


def test_a_plain_copy_honours_gitignore_and_never_copies_environments(make_project, tmp_path):
    root = make_project(
        {
            **SINGLE_MAIN,
            ".gitignore": "build-output/\n*.log\n",
            "build-output/big.bin": "x",
            "server.log": "log",
            "docs/.gitignore": "draft.md\n",
            "docs/draft.md": "private draft",
            "docs/guide.md": "guide",
            ".venv/lib/site.py": "venv",
            "node_modules/pkg/index.js": "js",
            "app.db": "sqlite",
            "data/dev.sqlite3": "sqlite",
            ".env": "SECRET_KEY=abcdefgh12345\n",
        }
    )
    ws = ProjectWorkspace.create_for(root, tmp_path / "ws")
    copied = {p.relative_to(ws.root).as_posix() for p in ws.root.rglob("*") if p.is_file()}
    copied = {p for p in copied if not p.startswith(".workbench/")}
    assert copied == {
        ".gitignore",
        "docs/.gitignore",
        "docs/guide.md",
        "greetings.py",
        "main.py",
        "test_main.py",
        ".env",  # the app reads it; it is never listed, diffed or applied
    }
    assert ".env" not in ws.files()
    assert ws.git is None


def test_diff_is_against_the_project_as_it_was(notes, tmp_path):
    ws = ProjectWorkspace.create_for(notes, tmp_path / "ws")
    (ws.root / "app/api/routes/utils.py").write_text("# changed\n", encoding="utf-8")
    (ws.root / "app/new.py").write_text("NEW = 1\n", encoding="utf-8")
    (ws.root / "notes.db").write_text("a database the tests made")
    (ws.root / ".env").write_text("SECRET_KEY=changed-in-the-copy\n")

    assert ws.changed_files() == ["app/api/routes/utils.py", "app/new.py"]
    diff = ws.diff()
    assert "diff --git a/app/new.py b/app/new.py\nnew file mode 100644" in diff
    assert "+# changed" in diff and "-    return True" in diff
    assert ".env" not in diff and "notes.db" not in diff


def test_apply_writes_the_change_back_only_when_asked(notes, tmp_path):
    ws = ProjectWorkspace.create_for(notes, tmp_path / "ws")
    (ws.root / "app/new.py").write_text("NEW = 1\n", encoding="utf-8")
    (ws.root / "app/schemas.py").unlink()
    assert not (notes / "app/new.py").exists()  # nothing until apply

    assert ws.apply() == ["updated app/new.py", "deleted app/schemas.py"]
    assert (notes / "app/new.py").read_text() == "NEW = 1\n"
    assert not (notes / "app/schemas.py").exists()
    assert ws.diff() == ""  # the next diff starts from the project as it now is
    assert ws.apply() == []


def test_apply_refuses_when_the_users_tree_changed_underneath(notes, tmp_path):
    ws = ProjectWorkspace.create_for(notes, tmp_path / "ws")
    (ws.root / "app/main.py").write_text("# the agent's version\n", encoding="utf-8")
    (notes / "app/models.py").write_text("# the user's own edit\n", encoding="utf-8")

    with pytest.raises(ProjectError) as caught:
        ws.apply()
    message = str(caught.value)
    assert "changed since the workbench copied it (app/models.py)" in message
    assert "wb.branch" in message and "Nothing was written" in message
    assert (notes / "app/main.py").read_text() != "# the agent's version\n"
    assert (notes / "app/models.py").read_text() == "# the user's own edit\n"
    assert ws.changed_files() == ["app/main.py"]  # nothing lost in the copy either


def test_branch_commits_only_the_change_and_leaves_the_tree_alone(notes, tmp_path):
    (notes / "README.md").write_text("uncommitted readme\n", encoding="utf-8")
    ws = ProjectWorkspace.create_for(notes, tmp_path / "ws")
    (ws.root / "app/new.py").write_text("NEW = 1\n", encoding="utf-8")
    status_before = git(notes, "status", "--porcelain")

    commit = ws.branch("feature/new-module", "Add the new module")
    assert git(notes, "rev-parse", "feature/new-module").strip() == commit
    assert git(notes, "show", "--stat", "--format=%s", commit).startswith("Add the new module")
    assert git(notes, "show", f"{commit}:app/new.py") == "NEW = 1\n"
    # Its parent holds the uncommitted work the copy started from, on top of HEAD.
    assert git(notes, "show", f"{commit}~1:README.md") == "uncommitted readme\n"
    assert git(notes, "rev-parse", f"{commit}~2").strip() == git(notes, "rev-parse", "main").strip()
    assert git(notes, "status", "--porcelain") == status_before
    assert git(notes, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert ".env" not in git(notes, "show", "--name-only", "--format=", commit)

    with pytest.raises(ProjectError, match="already exists"):
        ws.branch("feature/new-module")
    with pytest.raises(ProjectError, match="not a valid branch name"):
        ws.branch("bad..name")


def test_branch_needs_git(make_project, tmp_path):
    ws = ProjectWorkspace.create_for(make_project(SINGLE_MAIN), tmp_path / "ws")
    (ws.root / "main.py").write_text("# x\n")
    with pytest.raises(ProjectError, match="not a git repository"):
        ws.branch("x")


def test_a_copy_is_reused_and_a_wrong_target_refused(notes, make_project, tmp_path):
    ws = ProjectWorkspace.create_for(notes, tmp_path / "ws")
    (ws.root / "app/new.py").write_text("NEW = 1\n", encoding="utf-8")
    again = ProjectWorkspace.create_for(notes, tmp_path / "ws")
    assert again.changed_files() == ["app/new.py"]
    assert isinstance(open_workspace(ws.root), ProjectWorkspace)
    with pytest.raises(ProjectError, match="already holds a copy of"):
        ProjectWorkspace.create_for(make_project(SINGLE_MAIN, "other"), tmp_path / "ws")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    with pytest.raises(ProjectError, match="is not empty"):
        ProjectWorkspace.create_for(notes, tmp_path / "busy")


def test_a_project_in_a_subfolder_of_a_repository(make_project, tmp_path):
    repo = make_project(
        {
            "frontend/index.js": "js",
            "backend/main.py": SINGLE_MAIN["main.py"],
            "backend/greetings.py": SINGLE_MAIN["greetings.py"],
            ".env": "TOP=1\n",
            ".gitignore": ".env\n",
        },
        "mono",
        repo=True,
    )
    ws = ProjectWorkspace.create_for(repo / "backend", tmp_path / "ws")
    assert ws.root == (tmp_path / "ws" / "backend").resolve()
    assert ws.files() == ["greetings.py", "main.py"]
    assert ws.env_files == ["../.env"]
    assert ws.environment() == {"TOP": "1"}
    (ws.root / "main.py").write_text("# changed\n")
    commit = ws.branch("backend-change")
    assert git(repo, "show", "--name-only", "--format=", commit).split() == ["backend/main.py"]


def test_uncommitted_values_of_a_tracked_env_never_reach_a_commit(make_project, tmp_path):
    repo = make_project({**SINGLE_MAIN, ".env": "TOKEN=committed-value\n"}, "tracked", repo=True)
    (repo / ".env").write_text("TOKEN=local-only-value-123\n")
    ws = ProjectWorkspace.create_for(repo, tmp_path / "ws")
    assert ws.environment() == {"TOKEN": "local-only-value-123"}
    (ws.root / "main.py").write_text("# changed\n")
    commit = ws.branch("change")
    history = git(repo, "log", "-p", commit)
    assert "local-only-value-123" not in history
    assert git(repo, "show", f"{commit}:.env") == "TOKEN=committed-value\n"


def test_a_copy_reopens_from_its_workspace_alone(make_project, tmp_path):
    from agent_kernel import Workbench

    repo = make_project(
        {
            "backend/main.py": SINGLE_MAIN["main.py"],
            "backend/greetings.py": SINGLE_MAIN["greetings.py"],
        },
        "mono",
        repo=True,
    )
    first = Workbench(project=repo / "backend", workspace=tmp_path / "ws", display=False)
    (first.workspace.root / "main.py").write_text(SINGLE_MAIN["main.py"] + "# more\n")
    again = Workbench(workspace=tmp_path / "ws", display=False)
    assert isinstance(again.workspace, ProjectWorkspace)
    assert again.workspace.root == first.workspace.root
    assert again.workspace.changed_files() == ["main.py"]
    assert not (tmp_path / "ws" / "sandbox_app").exists()
