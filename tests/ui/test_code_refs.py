from pathlib import Path

from agent_kernel.notebook.code_refs import CodeRef, find_refs, read_ref, snippets
from agent_kernel.project.workspace import Workspace


def make_workspace(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "ws")
    target = ws.root / "sandbox_app" / "api" / "routes" / "demo.py"
    target.write_text("".join(f"line {n}\n" for n in range(1, 11)), encoding="utf-8")
    return ws


def test_finds_references_in_prose_and_backticks():
    text = (
        "See 3:5:sandbox_app/api/routes/demo.py. Also `1:2:sandbox_app/main.py` and again "
        "3:5:sandbox_app/api/routes/demo.py, then 7:7:tests/test_health.py:"
    )
    assert find_refs(text) == [
        CodeRef(3, 5, "sandbox_app/api/routes/demo.py"),
        CodeRef(1, 2, "sandbox_app/main.py"),
        CodeRef(7, 7, "tests/test_health.py"),
    ]


def test_ignores_times_urls_and_bad_ranges():
    text = (
        "At 12:30:00 the job ran; http://host:8000:1:2:x.py is a URL; 9:3:a/b.py is backwards; "
        "0:2:a.py starts at zero; 1:2:/etc/passwd.txt is absolute; 10:20:30:a.py is a chain"
    )
    assert find_refs(text) == []


def test_reads_the_actual_lines(tmp_path):
    ws = make_workspace(tmp_path)
    snippet = read_ref(ws, CodeRef(3, 5, "sandbox_app/api/routes/demo.py"))
    assert snippet is not None
    assert snippet.lines == ("line 3", "line 4", "line 5")
    text = snippet.text()
    assert "sandbox_app/api/routes/demo.py lines 3-5" in text
    assert "\n3 | line 3\n" in text and text.endswith("\n5 | line 5")
    assert "line 6" not in text
    assert "<pre" in snippet.html() and "line 4" in snippet.html()


def test_range_past_the_end_is_clamped_or_skipped(tmp_path):
    ws = make_workspace(tmp_path)
    clamped = read_ref(ws, CodeRef(9, 40, "sandbox_app/api/routes/demo.py"))
    assert clamped is not None and clamped.lines == ("line 9", "line 10") and clamped.last == 10
    assert read_ref(ws, CodeRef(11, 12, "sandbox_app/api/routes/demo.py")) is None


def test_outside_paths_and_missing_files_are_refused_silently(tmp_path):
    ws = make_workspace(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret\n", encoding="utf-8")
    (ws.root / "link.txt").symlink_to(secret)
    for path in ("../secret.txt", "link.txt", "sandbox_app/nope.py", ".workbench/baseline/x.py"):
        assert read_ref(ws, CodeRef(1, 1, path)) is None
    text = "1:1:../secret.txt 1:1:link.txt 1:2:sandbox_app/api/routes/demo.py"
    found = snippets(text, ws)
    assert [s.ref.path for s in found] == ["sandbox_app/api/routes/demo.py"]
    assert all("top secret" not in s.text() for s in found)
    assert snippets(text, None) == []


def test_accepts_a_root_path_instead_of_a_workspace(tmp_path):
    ws = make_workspace(tmp_path)
    found = snippets("look at 1:1:sandbox_app/api/routes/demo.py", ws.root)
    assert found and found[0].lines == ("line 1",)
