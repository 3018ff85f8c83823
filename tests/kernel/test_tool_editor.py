"""The text editor tool: each command, and every refusal that keeps it inside the workspace."""

from pathlib import Path

import pytest

from agent_kernel.project.workspace import Workspace
from agent_kernel.tools.base import OUTPUT_CAP, ToolContext, ToolError
from agent_kernel.tools.editor import TextEditorTool

editor = TextEditorTool()


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(workspace=Workspace.create(tmp_path / "ws"))


def call(ctx: ToolContext, **tool_input) -> str:
    return editor(tool_input, ctx)


def write(ctx: ToolContext, rel: str, text: str) -> Path:
    path = ctx.workspace.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_definition_is_anthropics_text_editor():
    assert editor.name == "str_replace_based_edit_tool"
    assert editor.definition() == {
        "type": "text_editor_20250728",
        "name": "str_replace_based_edit_tool",
    }


def test_view_file_numbers_lines(ctx):
    write(ctx, "notes.txt", "alpha\nbeta\ngamma\n")
    assert call(ctx, command="view", path="notes.txt") == (
        "     1\talpha\n     2\tbeta\n     3\tgamma"
    )


def test_view_range_and_eof(ctx):
    write(ctx, "notes.txt", "".join(f"line {n}\n" for n in range(1, 11)))
    assert call(ctx, command="view", path="notes.txt", view_range=[3, 4]) == (
        "     3\tline 3\n     4\tline 4"
    )
    tail = call(ctx, command="view", path="notes.txt", view_range=[9, -1])
    assert tail == "     9\tline 9\n    10\tline 10"
    with pytest.raises(ToolError, match="outside the file's lines 1-10"):
        call(ctx, command="view", path="notes.txt", view_range=[11, 12])
    with pytest.raises(ToolError, match="before its start"):
        call(ctx, command="view", path="notes.txt", view_range=[5, 2])
    with pytest.raises(ToolError, match="two integers"):
        call(ctx, command="view", path="notes.txt", view_range=[1])


def test_view_directory_lists_two_levels_without_hidden(ctx):
    write(ctx, "sandbox_app/__pycache__/main.cpython-311.pyc", "x")
    write(ctx, "sandbox_app/.hidden", "x")
    listing = call(ctx, command="view", path="sandbox_app").splitlines()
    assert "sandbox_app/main.py" in listing
    assert "sandbox_app/api/" in listing
    assert "sandbox_app/api/router.py" in listing
    assert "sandbox_app/api/routes/" in listing
    assert "sandbox_app/api/routes/health.py" not in listing  # third level
    assert not any("__pycache__" in line or ".hidden" in line for line in listing)
    root_listing = call(ctx, command="view", path=".")
    assert ".workbench" not in root_listing and "pytest.ini" in root_listing


def test_view_missing_file_and_binary(ctx):
    with pytest.raises(ToolError, match="does not exist"):
        call(ctx, command="view", path="nope.py")
    (ctx.workspace.root / "blob.bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ToolError, match="not a UTF-8 text file"):
        call(ctx, command="view", path="blob.bin")


def test_view_output_is_capped(ctx):
    write(ctx, "big.txt", "x" * 100 + "\n" + "".join(f"row {n}\n" for n in range(5000)))
    out = call(ctx, command="view", path="big.txt")
    assert len(out) < OUTPUT_CAP + 200
    assert "characters cut]" in out
    assert out.startswith("big.txt has 5001 lines, too long to show whole")
    assert "Use `view_range`" in out and "     1\t" + "x" * 100 in out
    assert out.endswith("  5001\trow 4999")


def test_create_makes_parents_and_overwrites(ctx):
    out = call(ctx, command="create", path="sandbox_app/api/routes/items.py", file_text="A = 1\n")
    assert out.startswith("Created sandbox_app/api/routes/items.py")
    target = ctx.workspace.root / "sandbox_app/api/routes/items.py"
    assert target.read_text() == "A = 1\n"
    out = call(ctx, command="create", path="deep/new/dir/x.py", file_text="")
    assert (ctx.workspace.root / "deep/new/dir/x.py").read_text() == ""
    out = call(ctx, command="create", path=str(target), file_text="A = 2\n")
    assert out.startswith("Overwrote") and target.read_text() == "A = 2\n"
    with pytest.raises(ToolError, match="needs the `file_text`"):
        call(ctx, command="create", path="y.py")
    with pytest.raises(ToolError, match="is a directory"):
        call(ctx, command="create", path="sandbox_app", file_text="x")


def test_str_replace_exactly_once(ctx):
    path = write(ctx, "m.py", "def f():\n    return 1\n\n\ndef g():\n    return 2\n")
    out = call(ctx, command="str_replace", path="m.py", old_str="return 2", new_str="return 3")
    assert path.read_text().endswith("def g():\n    return 3\n")
    assert "     6\t    return 3" in out
    call(ctx, command="str_replace", path="m.py", old_str="\n\n\ndef g():\n    return 3\n")
    assert path.read_text() == "def f():\n    return 1"  # new_str defaults to ""


def test_str_replace_no_match_suggests_view(ctx):
    path = write(ctx, "m.py", "x = 1\n")
    with pytest.raises(ToolError, match="No match") as info:
        call(ctx, command="str_replace", path="m.py", old_str="x  = 1", new_str="x = 2")
    assert "`view`" in str(info.value)
    assert path.read_text() == "x = 1\n"


def test_str_replace_several_matches_names_lines(ctx):
    path = write(ctx, "m.py", "a = 1\nb = 2\na = 1\n\na = 1\n")
    with pytest.raises(ToolError, match="occurs 3 times") as info:
        call(ctx, command="str_replace", path="m.py", old_str="a = 1", new_str="a = 9")
    assert "lines 1, 3, 5" in str(info.value)
    assert path.read_text() == "a = 1\nb = 2\na = 1\n\na = 1\n"
    with pytest.raises(ToolError, match="occurs 2 times"):  # overlapping matches count too
        write(ctx, "o.txt", "aaa\n")
        call(ctx, command="str_replace", path="o.txt", old_str="aa", new_str="b")
    with pytest.raises(ToolError, match="empty"):
        call(ctx, command="str_replace", path="m.py", old_str="")


def test_insert_at_top_middle_and_end(ctx):
    path = write(ctx, "m.py", "one\ntwo\n")
    call(ctx, command="insert", path="m.py", insert_line=0, insert_text="zero")
    assert path.read_text() == "zero\none\ntwo\n"
    call(ctx, command="insert", path="m.py", insert_line=2, insert_text="one and a half\n")
    assert path.read_text() == "zero\none\none and a half\ntwo\n"
    out = call(ctx, command="insert", path="m.py", insert_line=4, insert_text="three\nfour\n")
    assert path.read_text() == "zero\none\none and a half\ntwo\nthree\nfour\n"
    assert "     6\tfour" in out
    with pytest.raises(ToolError, match="outside 0-6"):
        call(ctx, command="insert", path="m.py", insert_line=7, insert_text="x")
    with pytest.raises(ToolError, match="needs the `insert_text`"):
        call(ctx, command="insert", path="m.py", insert_line=1)


def test_insert_after_last_line_without_newline(ctx):
    path = write(ctx, "m.py", "one\ntwo")
    call(ctx, command="insert", path="m.py", insert_line=2, insert_text="three")
    assert path.read_text() == "one\ntwo\nthree\n"


def test_unknown_and_unsupported_commands(ctx):
    with pytest.raises(ToolError, match="not supported"):
        call(ctx, command="undo_edit", path="m.py")
    with pytest.raises(ToolError, match="unknown command 'delete'"):
        call(ctx, command="delete", path="m.py")
    with pytest.raises(ToolError, match="needs the `path`"):
        call(ctx, command="view")


def test_absolute_path_inside_root_is_accepted(ctx):
    absolute = str(ctx.workspace.root / "sandbox_app" / "main.py")
    assert "def create_app" in call(ctx, command="view", path=absolute)
    call(ctx, command="create", path=str(ctx.workspace.root / "abs.py"), file_text="ok\n")
    assert (ctx.workspace.root / "abs.py").read_text() == "ok\n"


@pytest.mark.parametrize("bad", ["../x", "../../etc/passwd", "/etc/passwd", "sandbox_app/../../x"])
def test_paths_outside_are_refused_for_every_command(ctx, bad):
    commands = [
        {"command": "view"},
        {"command": "create", "file_text": "pwned\n"},
        {"command": "str_replace", "old_str": "root", "new_str": "pwned"},
        {"command": "insert", "insert_line": 0, "insert_text": "pwned"},
    ]
    for extra in commands:
        with pytest.raises(ToolError, match="outside the workspace"):
            editor({"path": bad, **extra}, ctx)
    assert not (ctx.workspace.root.parent / "x").exists()


def test_symlink_leading_out_is_refused_and_outside_untouched(ctx, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("top secret\n")
    root = ctx.workspace.root
    (root / "link.txt").symlink_to(secret)
    (root / "linkdir").symlink_to(outside)
    attempts = [
        {"command": "view", "path": "link.txt"},
        {"command": "view", "path": "linkdir"},
        {"command": "view", "path": "linkdir/secret.txt"},
        {"command": "create", "path": "link.txt", "file_text": "pwned\n"},
        {"command": "create", "path": "linkdir/new.txt", "file_text": "pwned\n"},
        {"command": "str_replace", "path": "link.txt", "old_str": "top", "new_str": "pwned"},
        {"command": "insert", "path": "linkdir/secret.txt", "insert_line": 0, "insert_text": "p"},
    ]
    for tool_input in attempts:
        with pytest.raises(ToolError, match="outside the workspace") as info:
            editor(tool_input, ctx)
        assert "top secret" not in str(info.value)
    assert secret.read_text() == "top secret\n"
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    # Listing the root shows the links by name, without following them out.
    listing = call(ctx, command="view", path=".").splitlines()
    assert "link.txt" in listing and "linkdir/" in listing
    assert not any("secret" in line for line in listing)


def test_workbench_records_are_off_limits(ctx):
    with pytest.raises(ToolError, match=r"\.workbench/"):
        call(ctx, command="view", path=".workbench/baseline/sandbox_app/main.py")
    with pytest.raises(ToolError, match=r"\.workbench/"):
        call(ctx, command="create", path=".workbench/baseline/pytest.ini", file_text="x")


def test_edits_show_in_the_workspace_diff(ctx):
    call(
        ctx,
        command="str_replace",
        path="sandbox_app/api/routes/health.py",
        old_str='"status": "ok"',
        new_str='"status": "healthy"',
    )
    assert ctx.workspace.changed_files() == ["sandbox_app/api/routes/health.py"]
    assert '+    return {"status": "healthy", "database": "reachable"}' in ctx.workspace.diff()
